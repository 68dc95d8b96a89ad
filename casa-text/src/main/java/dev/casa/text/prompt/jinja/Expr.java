package dev.casa.text.prompt.jinja;

import java.util.List;

/** Template expressions. */
sealed interface Expr {
    record Literal(Object value) implements Expr {}
    record Name(String name) implements Expr {}
    record ListExpr(List<Expr> items) implements Expr {}
    record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {}
    record Attr(Expr target, String name) implements Expr {}
    record Index(Expr target, Expr index) implements Expr {}
    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {}
    record Call(Expr callee, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}
    record Filter(Expr target, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}
    record Test(Expr target, String name, List<Expr> args, boolean negated) implements Expr {}
    record Unary(String op, Expr operand) implements Expr {}
    record Binary(String op, Expr left, Expr right) implements Expr {}
    record Conditional(Expr condition, Expr then, Expr orElse) implements Expr {}
}
