package dev.casa.text.prompt.jinja;

/** Jinja's default Undefined: renders as "", is falsy, and fails when used further. */
record Undefined(String name) {
    @Override
    public String toString() { return ""; }
}
