package dev.casa.text.prompt.jinja;

import dev.casa.text.prompt.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens with the whitespace rules Hugging Face uses for chat templates:
 * {@code trim_blocks} (the newline after a block or comment tag is dropped) and
 * {@code lstrip_blocks} (spaces and tabs before a block or comment tag at line start are dropped),
 * plus the explicit {@code -} and {@code +} modifiers.
 */
final class Lexer {
    private final String src;
    private int pos;
    private int line = 1;
    private final List<Token> out = new ArrayList<>();

    private Lexer(String src) { this.src = src; }

    static List<Token> tokenize(String src) {
        // Jinja's keep_trailing_newline=False: one final newline of the source is not output.
        if (src.endsWith("\r\n")) src = src.substring(0, src.length() - 2);
        else if (src.endsWith("\n")) src = src.substring(0, src.length() - 1);
        Lexer lx = new Lexer(src);
        lx.run();
        return lx.out;
    }

    private void run() {
        StringBuilder text = new StringBuilder();
        boolean trimNextNewline = false;
        boolean stripNextWhitespace = false;
        while (pos < src.length()) {
            int open = nextTagStart(pos);
            String chunk = src.substring(pos, open < 0 ? src.length() : open);
            if (stripNextWhitespace) {
                chunk = stripLeading(chunk);
                stripNextWhitespace = false;
            } else if (trimNextNewline) {
                if (chunk.startsWith("\r\n")) chunk = chunk.substring(2);
                else if (chunk.startsWith("\n")) chunk = chunk.substring(1);
            }
            trimNextNewline = false;
            if (open < 0) {
                text.append(chunk);
                pos = src.length();
                break;
            }
            char kind = src.charAt(open + 1);
            boolean minus = open + 2 < src.length() && src.charAt(open + 2) == '-';
            boolean plus = open + 2 < src.length() && src.charAt(open + 2) == '+';
            if (minus) {
                chunk = stripTrailing(chunk);
            } else if (!plus && kind != '{') {
                chunk = lstripBlock(chunk, open);
            }
            text.append(chunk);
            flushText(text);
            countLines(src, pos, open);
            pos = open + 2 + ((minus || plus) ? 1 : 0);
            if (kind == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) throw error("unclosed comment");
                boolean endMinus = src.charAt(end - 1) == '-' && end - 1 >= pos;
                countLines(src, pos, end + 2);
                pos = end + 2;
                stripNextWhitespace = endMinus;
                trimNextNewline = !endMinus;
                continue;
            }
            String close = kind == '{' ? "}}" : "%}";
            out.add(new Token(kind == '{' ? Kind.VAR_START : Kind.BLOCK_START, "", line));
            boolean[] endMods = lexTag(close);
            out.add(new Token(kind == '{' ? Kind.VAR_END : Kind.BLOCK_END, "", line));
            stripNextWhitespace = endMods[0];
            trimNextNewline = kind == '%' && !endMods[0] && !endMods[1];
        }
        flushText(text);
        out.add(new Token(Kind.EOF, "", line));
    }

    /** lstrip_blocks: drop the spaces/tabs between the start of the line and a block tag at {@code open}. */
    private String lstripBlock(String chunk, int open) {
        int j = open;
        while (j > pos && (src.charAt(j - 1) == ' ' || src.charAt(j - 1) == '\t')) j--;
        boolean atLineStart = j == 0 || (j > pos && src.charAt(j - 1) == '\n');
        int strip = Math.min(open - j, chunk.length());
        return atLineStart ? chunk.substring(0, chunk.length() - strip) : chunk;
    }

    private void flushText(StringBuilder text) {
        if (!text.isEmpty()) {
            out.add(new Token(Kind.TEXT, text.toString(), line));
            text.setLength(0);
        }
    }

    private int nextTagStart(int from) {
        for (int i = from; i + 1 < src.length(); i++) {
            if (src.charAt(i) == '{') {
                char c = src.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') return i;
            }
        }
        return -1;
    }

    /** Lexes the inside of a tag up to {@code close}; returns {-modifier, +modifier} of the close. */
    private boolean[] lexTag(String close) {
        int brackets = 0; // as Jinja2: inside ( [ { a "}}" or "%}" does not end the tag ({{ {'a': {'b': 1}} }})
        while (true) {
            skipSpaces();
            if (pos >= src.length()) throw error("unclosed tag (expected '" + close + "')");
            if (brackets > 0) {
                lexOne();
                String op = out.get(out.size() - 1).kind() == Kind.OP ? out.get(out.size() - 1).text() : "";
                if (op.equals("(") || op.equals("[") || op.equals("{")) brackets++;
                else if (op.equals(")") || op.equals("]") || op.equals("}")) brackets--;
                continue;
            }
            if (src.startsWith("-" + close, pos)) {
                pos += 3;
                return new boolean[] {true, false};
            }
            if (src.startsWith("+" + close, pos)) {
                pos += 3;
                return new boolean[] {false, true};
            }
            if (src.startsWith(close, pos)) {
                pos += 2;
                return new boolean[] {false, false};
            }
            lexOne();
            Token t = out.get(out.size() - 1);
            if (t.kind() == Kind.OP && (t.text().equals("(") || t.text().equals("[") || t.text().equals("{"))) brackets++;
        }
    }

    private void skipSpaces() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            if (src.charAt(pos) == '\n') line++;
            pos++;
        }
    }

    private static final String[] OPS = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~",
        "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "="};

    private void lexOne() {
        char c = src.charAt(pos);
        if (Character.isLetter(c) || c == '_') {
            int s = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
            out.add(new Token(Kind.NAME, src.substring(s, pos), line));
        } else if (isAsciiDigit(c)) {
            int s = pos;
            while (pos < src.length() && (isAsciiDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
            boolean isFloat = false;
            if (pos + 1 < src.length() && src.charAt(pos) == '.' && isAsciiDigit(src.charAt(pos + 1))) {
                isFloat = true;
                pos++;
                while (pos < src.length() && (isAsciiDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
            }
            // Jinja2's exponent: e, an optional sign, digits (1e5 and 2.5e-3 are floats).
            int sign = pos + 1 < src.length() && (src.charAt(pos + 1) == '+' || src.charAt(pos + 1) == '-') ? 1 : 0;
            if (pos + 1 + sign < src.length() && src.charAt(pos) == 'e' && isAsciiDigit(src.charAt(pos + 1 + sign))) {
                isFloat = true;
                pos += 1 + sign;
                while (pos < src.length() && (isAsciiDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
            }
            out.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(s, pos).replace("_", ""), line));
        } else if (c == '\'' || c == '"') {
            out.add(new Token(Kind.STRING, lexString(c), line));
        } else {
            for (String op : OPS) {
                if (src.startsWith(op, pos)) {
                    pos += op.length();
                    out.add(new Token(Kind.OP, op, line));
                    return;
                }
            }
            throw error("unexpected character '" + c + "'");
        }
    }

    private static boolean isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

    /** A Python-style string literal with the common escapes. */
    private String lexString(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw error("unterminated string");
            char c = src.charAt(pos++);
            if (c == quote) return sb.toString();
            if (c == '\n') line++;
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= src.length()) throw error("unterminated string");
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '\'' -> sb.append('\'');
                case '"' -> sb.append('"');
                case '\n' -> line++;
                case 'u' -> {
                    String hex = pos + 4 <= src.length() ? src.substring(pos, pos + 4) : "";
                    if (!hex.matches("[0-9a-fA-F]{4}")) throw error("bad \\u escape");
                    sb.append((char) Integer.parseInt(hex, 16));
                    pos += 4;
                }
                default -> sb.append('\\').append(e);
            }
        }
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && Character.isWhitespace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    private void countLines(String s, int from, int to) {
        for (int i = from; i < to && i < s.length(); i++) if (s.charAt(i) == '\n') line++;
    }

    private TemplateException error(String msg) {
        return new TemplateException("template line " + line + ": " + msg);
    }
}
