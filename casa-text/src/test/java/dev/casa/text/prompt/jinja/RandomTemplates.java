package dev.casa.text.prompt.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random chat templates from a grammar of the Jinja subset: loops (with nested and oversized
 * ranges), macros (recursive ones too), filters and methods with random arguments, string
 * growth, set/namespace, deep nesting; and, for some, random garbage spliced into the source.
 */
final class RandomTemplates {
    private static final String[] NAMES = {"x", "i", "m", "ns", "msg", "messages", "loop", "s", "f", "g", "undefined_var"};
    private static final String[] FILTERS = {"trim", "upper", "lower", "capitalize", "title", "length", "count", "first", "last",
        "join", "replace", "default", "tojson", "string", "int", "float", "abs", "round", "list", "reverse", "sort", "unique",
        "items", "dictsort", "selectattr", "rejectattr", "select", "reject", "map", "indent", "safe", "e", "wordcount",
        "center", "sum", "min", "max", "batch", "frobnicate"};
    private static final String[] METHODS = {"strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "startswith",
        "endswith", "split", "replace", "find", "count", "join", "isdigit", "isspace", "format", "items", "keys", "values",
        "get", "index", "append", "pop", "a", "content", "role"};
    private static final String[] TESTS = {"defined", "undefined", "none", "string", "number", "integer", "float", "boolean",
        "mapping", "sequence", "iterable", "callable", "odd", "even", "divisibleby", "equalto", "eq", "ne", "lt", "gt", "in",
        "lower", "upper", "true", "false", "sameas", "nosuchtest"};
    private static final String[] BINARY = {"+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", "<=", ">", ">=", "and", "or",
        "in", "not in"};
    private static final String GARBAGE = "{}%#()[]'\"|.,:=-+*~\\ \n\tabcxyz0123456789_!<>/";

    private final Random rnd;
    private int macroCount;

    RandomTemplates(long seed) { this.rnd = new Random(seed); }

    /** A template source: well-formed by the grammar, then sometimes damaged. */
    String next() {
        macroCount = 0;
        StringBuilder sb = new StringBuilder();
        if (rnd.nextInt(8) != 0) sb.append("{% set ns = namespace(s='ab', l=[1], n=0, d={}) %}");
        if (rnd.nextInt(3) == 0) sb.append(recursiveMacro());
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) sb.append(statement(3, false));
        String src = sb.toString();
        return switch (rnd.nextInt(10)) {
            case 0 -> garble(src);
            case 1 -> src.substring(0, rnd.nextInt(src.length() + 1)); // truncated
            default -> src;
        };
    }

    /** Variables like a chat request's, with some awkward values. */
    Map<String, Object> variables() {
        Map<String, Object> v = new LinkedHashMap<>();
        List<Object> messages = new ArrayList<>();
        for (int i = 0; i < rnd.nextInt(4); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", pick(new String[] {"user", "assistant", "system", "tool"}));
            m.put("content", rnd.nextBoolean() ? stringValue() : List.of(Map.of("type", "text", "text", stringValue())));
            messages.add(m);
        }
        v.put("messages", messages);
        v.put("x", rnd.nextInt(5) == 0 ? null : rnd.nextBoolean() ? (Object) rnd.nextInt(100) : stringValue());
        v.put("add_generation_prompt", rnd.nextBoolean());
        Object nested = "leaf";
        for (int i = 0, d = rnd.nextInt(20) == 0 ? 2000 : 3; i < d; i++) nested = List.of(nested);
        v.put("nested", nested);
        return v;
    }

    private String stringValue() {
        return pick(new String[] {"hello", "", "  padded  ", "a'b\"c", "\ud83d\ude00 emoji", "x".repeat(rnd.nextInt(1000)),
            "line1\nline2", "{}", "%s", "123", "ABC def"});
    }

    private String statement(int depth, boolean inLoop) {
        int k = depth <= 0 ? rnd.nextInt(3) : rnd.nextInt(15);
        return switch (k) {
            case 0 -> text();
            case 1, 2 -> "{{ " + expr(3) + " }}";
            case 3 -> "{% set " + pick(new String[] {"x", "s", "i"}) + " = " + expr(3) + " %}";
            case 4 -> "{% set ns." + pick(new String[] {"s", "l", "n", "d"}) + " = " + growth() + " %}";
            case 5 -> "{% if " + expr(2) + " %}" + body(depth, inLoop) + (rnd.nextBoolean() ? "{% elif " + expr(2) + " %}" + body(depth, inLoop) : "")
                    + (rnd.nextBoolean() ? "{% else %}" + body(depth, inLoop) : "") + "{% endif %}";
            case 6, 7 -> "{% for " + pick(new String[] {"i", "m", "k, v"}) + " in " + iterable() + (rnd.nextInt(4) == 0 ? " if " + expr(1) : "")
                    + " %}" + body(depth, true) + (rnd.nextInt(4) == 0 ? "{% else %}" + text() : "") + "{% endfor %}";
            case 8 -> "{% set s %}" + body(depth, inLoop) + "{% endset %}";
            case 9 -> {
                String name = "mac" + macroCount++;
                yield "{% macro " + name + "(a, b=" + expr(1) + ") %}" + body(depth, false) + "{% endmacro %}{{ " + name + "(" + expr(2) + ") }}";
            }
            case 10 -> inLoop ? pick(new String[] {"{% break %}", "{% continue %}"}) : text();
            case 11 -> "{% generation %}" + body(depth, inLoop) + "{% endgeneration %}";
            case 12 -> deepNesting();
            case 13 -> "{% for i in range(" + bigInt() + ") %}{% for j in range(" + bigInt() + ") %}{{ j }}{% endfor %}{% endfor %}";
            default -> "{{ f(" + rnd.nextInt(400) + ") if f is defined else '' }}";
        };
    }

    private String body(int depth, boolean inLoop) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) sb.append(statement(depth - 1, inLoop));
        return sb.toString();
    }

    private String text() { return pick(new String[] {"hi ", "\n", "  ", "<|im_start|>", "x", "} "}); }

    private String recursiveMacro() {
        return pick(new String[] {
            "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}x{% endmacro %}",
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}",
            "{% macro f(n) %}{{ f(n + 1) ~ f(n + 1) }}{% endmacro %}",
            "{% macro f(n) %}{% for i in range(n) %}{{ f(i) }}{% endfor %}{% endmacro %}",
            "{% macro f(n) %}{% set ns.s = ns.s ~ ns.s %}{{ f(n) if n else ns.s }}{% endmacro %}"});
    }

    /** Values that grow: doubling strings and lists, repetition, replace and join blow-ups. */
    private String growth() {
        return switch (rnd.nextInt(8)) {
            case 0 -> "ns.s ~ ns.s";
            case 1 -> "ns.s + ns.s";
            case 2 -> "ns.l + ns.l";
            case 3 -> "ns.s * " + bigInt();
            case 4 -> "ns.s | replace('a', ns.s)";
            case 5 -> "[ns.l]";
            case 6 -> "ns.l | join(ns.s)";
            default -> "{'k': ns.d, 'v': ns.l}";
        };
    }

    private String deepNesting() {
        int n = pick(new int[] {10, 150, 250, 1000, 3000});
        return switch (rnd.nextInt(7)) {
            case 0 -> "{{ " + "(".repeat(n) + "1" + ")".repeat(n) + " }}";
            case 1 -> "{{ " + "[".repeat(n) + "1" + "]".repeat(n) + " }}";
            case 2 -> "{{ " + "not ".repeat(n) + "1 }}";
            case 3 -> "{{ " + "-".repeat(n) + "1 }}";
            case 4 -> "{{ 1" + " + 1".repeat(n) + " }}";
            case 5 -> "{% if true %}".repeat(n) + "x" + "{% endif %}".repeat(n);
            default -> "{{ x" + "|string".repeat(n) + " }}";
        };
    }

    private String iterable() {
        return switch (rnd.nextInt(6)) {
            case 0 -> "range(" + bigInt() + ")";
            case 1 -> "range(" + bigInt() + ", " + bigInt() + ", " + pick(new String[] {"1", "-1", "0", "7", "-3", "9223372036854775807"}) + ")";
            case 2 -> "messages";
            case 3 -> "ns.l";
            case 4 -> "x";
            default -> expr(2);
        };
    }

    private String bigInt() {
        return pick(new String[] {"0", "1", "3", "-5", "100", "100000", "100001", "1000000", "2147483647", "9223372036854775807",
            "-9223372036854775807"});
    }

    private String expr(int depth) {
        if (depth <= 0) return atom();
        return switch (rnd.nextInt(12)) {
            case 0, 1 -> atom();
            case 2 -> sub(depth) + " " + pick(BINARY) + " " + sub(depth);
            case 3 -> pick(new String[] {"not ", "-", "+"}) + sub(depth);
            case 4 -> sub(depth) + " if " + sub(depth) + (rnd.nextBoolean() ? " else " + sub(depth) : "");
            case 5 -> sub(depth) + " | " + pick(FILTERS) + (rnd.nextBoolean() ? args(depth - 1, true) : "");
            case 6 -> atom() + "." + pick(METHODS) + (rnd.nextBoolean() ? args(depth - 1, true) : "");
            case 7 -> atom() + "[" + expr(depth - 1) + "]";
            case 8 -> atom() + "[" + (rnd.nextBoolean() ? expr(depth - 1) : "") + ":" + (rnd.nextBoolean() ? expr(depth - 1) : "")
                    + (rnd.nextBoolean() ? ":" + expr(depth - 1) : "") + "]";
            case 9 -> sub(depth) + " is " + (rnd.nextBoolean() ? "not " : "") + pick(TESTS) + (rnd.nextBoolean() ? args(depth - 1, false) : "");
            case 10 -> "(" + expr(depth - 1) + ")";
            default -> pick(new String[] {"range", "namespace", "dict", "raise_exception", "strftime_now", "loop.cycle", "f"})
                    + args(depth - 1, true);
        };
    }

    /** A sub-expression, mostly parenthesized so that operator precedence rarely makes it a syntax error. */
    private String sub(int depth) {
        String e = expr(depth - 1);
        return rnd.nextInt(5) == 0 ? e : "(" + e + ")";
    }

    private String args(int depth, boolean keywords) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0, n = rnd.nextInt(4); i < n; i++) {
            if (i > 0) sb.append(", ");
            if (keywords && i == n - 1 && rnd.nextInt(3) == 0) sb.append(pick(new String[] {"attribute", "d", "indent", "count", "reverse", "width", "first",
                "case_sensitive", "separators", "sort_keys", "default", "boolean", "n"})).append("=");
            sb.append(expr(depth));
        }
        return sb.append(")").toString();
    }

    private String atom() {
        return switch (rnd.nextInt(9)) {
            case 0 -> pick(NAMES);
            case 1 -> bigInt();
            case 2 -> pick(new String[] {"1.5", "0.0", "-2.25", "1e5"});
            case 3 -> rnd.nextInt(40) == 0 ? pick(new String[] {"'\\uZZZZ'", "99999999999999999999", "1.", "'unterminated"})
                    : pick(new String[] {"'a'", "''", "\"%s-%d\"", "'{} {0} {name}'", "'\\u00e9\\n'", "'ab' 'cd'",
                "'%'", "'{'", "'\\ud83d'", "'%Y-%m-%d [%H] #{}'", "'a' * 3"});
            case 4 -> pick(new String[] {"true", "False", "none", "None"});
            case 5 -> "[" + atom() + ", " + atom() + "]";
            case 6 -> "{" + pick(new String[] {"'a'", "1", "none"}) + ": " + atom() + "}";
            case 7 -> pick(new String[] {"nested", "messages[0]", "messages[-1]['content']", "loop.index", "ns.s", "ns.l", "x.y.z"});
            default -> "(" + atom() + ", " + atom() + ")";
        };
    }

    private String garble(String src) {
        StringBuilder sb = new StringBuilder(src);
        for (int i = 0, n = 1 + rnd.nextInt(5); i < n; i++) {
            int at = rnd.nextInt(sb.length() + 1);
            switch (rnd.nextInt(3)) {
                case 0 -> sb.insert(at, GARBAGE.charAt(rnd.nextInt(GARBAGE.length())));
                case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                default -> sb.insert(at, pick(new String[] {"{%", "%}", "{{", "}}", "{#", "#}", "{%-", "-%}", "endfor", "endif", "else"}));
            }
        }
        return sb.toString();
    }

    private String pick(String[] options) { return options[rnd.nextInt(options.length)]; }

    private int pick(int[] options) { return options[rnd.nextInt(options.length)]; }
}
