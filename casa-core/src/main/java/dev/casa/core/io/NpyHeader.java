package dev.casa.core.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the header of a {@code .npy} file: a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. Values are strings,
 * {@code True}/{@code False} (as Boolean), integer tuples (as long[]); a list (a structured
 * dtype) becomes the String "[...]" marker so the caller can reject it by name.
 */
final class NpyHeader {
    private final String text;
    private final String source;
    private int pos;

    private NpyHeader(String text, String source) {
        this.text = text;
        this.source = source;
    }

    static Map<String, Object> parse(String text, String source) throws NpyException {
        NpyHeader p = new NpyHeader(text, source);
        Map<String, Object> dict = p.dict();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("unexpected text after the header dict");
        return dict;
    }

    private Map<String, Object> dict() throws NpyException {
        expect('{');
        Map<String, Object> dict = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek() == '}') { pos++; return dict; }
            String key = string();
            expect(':');
            Object value = value();
            if (dict.put(key, value) != null) throw error("duplicate key '" + key + "'");
            skipSpace();
            if (peek() == ',') pos++;
            else if (peek() != '}') throw error("expected ',' or '}'");
        }
    }

    private Object value() throws NpyException {
        skipSpace();
        char c = peek();
        if (c == '\'' || c == '"') return string();
        if (c == '(') return tuple();
        if (c == '[') return List.of("structured dtype"); // reported by the caller as unsupported
        if (text.startsWith("True", pos)) { pos += 4; return Boolean.TRUE; }
        if (text.startsWith("False", pos)) { pos += 5; return Boolean.FALSE; }
        throw error("unsupported value");
    }

    private long[] tuple() throws NpyException {
        expect('(');
        List<Long> values = new ArrayList<>();
        while (true) {
            skipSpace();
            if (peek() == ')') { pos++; break; }
            values.add(integer());
            skipSpace();
            if (peek() == ',') pos++;
            else if (peek() != ')') throw error("expected ',' or ')' in shape");
        }
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }

    private long integer() throws NpyException {
        int start = pos;
        if (peek() == '-') pos++;
        while (pos < text.length() && Character.isDigit(text.charAt(pos)) && text.charAt(pos) < 128) pos++;
        String digits = text.substring(start, pos);
        if (peek() == 'L') pos++; // Python 2 long literal
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw error("bad integer '" + digits + "' in shape");
        }
    }

    private String string() throws NpyException {
        skipSpace();
        char quote = peek();
        if (quote != '\'' && quote != '"') throw error("expected a quoted string");
        int end = text.indexOf(quote, pos + 1);
        if (end < 0) throw error("unterminated string");
        String s = text.substring(pos + 1, end);
        pos = end + 1;
        return s;
    }

    private void expect(char c) throws NpyException {
        skipSpace();
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private NpyException error(String what) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return new NpyException(source + ": bad header (" + what + " at character " + pos + "): " + shown.strip());
    }
}
