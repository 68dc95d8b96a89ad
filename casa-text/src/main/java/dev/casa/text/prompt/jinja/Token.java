package dev.casa.text.prompt.jinja;

/** A lexical token of a template: raw text, or one piece of a tag's contents. */
record Token(Kind kind, String text, int line) {
    enum Kind {
        TEXT,            // raw template text between tags
        VAR_START, VAR_END, BLOCK_START, BLOCK_END,
        NAME, STRING, INT, FLOAT, OP, EOF
    }

    boolean is(Kind k, String t) { return kind == k && text.equals(t); }

    boolean isName(String t) { return is(Kind.NAME, t); }

    boolean isOp(String t) { return is(Kind.OP, t); }
}
