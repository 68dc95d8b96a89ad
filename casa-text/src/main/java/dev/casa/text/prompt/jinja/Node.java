package dev.casa.text.prompt.jinja;

import java.util.List;

/** Template statements. */
sealed interface Node {
    record Text(String text) implements Node {}
    record Output(Expr expr) implements Node {}
    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> orElse) implements Node {}
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> orElse) implements Node {}
    /** {@code set name = value}, {@code set a, b = value} or {@code set ns.attr = value}. */
    record Set(List<String> targets, String attribute, Expr value) implements Node {}
    /** {@code set name %}...{% endset}: captures the rendered body. */
    record SetBlock(String target, List<Node> body) implements Node {}
    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {}
    record Break() implements Node {}
    record Continue() implements Node {}
    /** A block rendered as is ({@code generation}: HF's assistant-mask marker). */
    record Passthrough(List<Node> body) implements Node {}
}
