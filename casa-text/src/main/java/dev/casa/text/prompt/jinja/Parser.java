package dev.casa.text.prompt.jinja;

import dev.casa.text.prompt.jinja.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser for the Jinja subset used by chat templates. */
final class Parser {
    private final List<Token> tokens;
    private final int maxDepth;
    private int pos;
    private int depth; // nesting of blocks and sub-expressions: the recursion of this parser

    private Parser(List<Token> tokens, int maxDepth) {
        this.tokens = tokens;
        this.maxDepth = maxDepth;
    }

    static List<Node> parse(String template, int maxDepth) {
        Parser p = new Parser(Lexer.tokenize(template), maxDepth);
        List<Node> body = p.parseBody(Set.of());
        if (p.peek().kind() != Kind.EOF) throw p.error("unexpected '" + p.peekBlockName() + "'");
        return body;
    }

    // ---- statements ----

    /** Parses nodes until a block tag whose name is in {@code terminators} (left unconsumed). */
    private List<Node> parseBody(Set<String> terminators) {
        enter();
        try {
            return parseNodes(terminators);
        } finally {
            depth--;
        }
    }

    private List<Node> parseNodes(Set<String> terminators) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!terminators.isEmpty()) throw error("missing {% " + String.join(" / ", terminators) + " %}");
                    return nodes;
                }
                case TEXT -> {
                    pos++;
                    nodes.add(new Node.Text(t.text()));
                }
                case VAR_START -> {
                    pos++;
                    Expr e = parseExpr();
                    expect(Kind.VAR_END, "}}");
                    nodes.add(new Node.Output(e));
                }
                case BLOCK_START -> {
                    String name = peekBlockName();
                    if (terminators.contains(name)) return nodes;
                    pos++;
                    nodes.add(parseStatement());
                }
                default -> throw error("unexpected token '" + t.text() + "'");
            }
        }
    }

    private String peekBlockName() {
        Token next = tokens.get(Math.min(pos + 1, tokens.size() - 1));
        return next.kind() == Kind.NAME ? next.text() : next.text();
    }

    private Node parseStatement() {
        Token nameTok = next();
        if (nameTok.kind() != Kind.NAME) throw error("expected a statement name");
        String name = nameTok.text();
        return switch (name) {
            case "if" -> parseIf();
            case "for" -> parseFor();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "break" -> { endBlock(); yield new Node.Break(); }
            case "continue" -> { endBlock(); yield new Node.Continue(); }
            case "generation" -> {
                endBlock();
                List<Node> body = parseBody(Set.of("endgeneration"));
                closeBlock("endgeneration");
                yield new Node.Passthrough(body);
            }
            default -> throw error("unsupported template statement '" + name + "'");
        };
    }

    private Node parseIf() {
        List<Expr> conds = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conds.add(parseExpr());
        endBlock();
        Set<String> stops = Set.of("elif", "else", "endif");
        bodies.add(parseBody(stops));
        List<Node> orElse = List.of();
        while (true) {
            pos++; // BLOCK_START
            String kw = next().text();
            if (kw.equals("elif")) {
                conds.add(parseExpr());
                endBlock();
                bodies.add(parseBody(stops));
            } else if (kw.equals("else")) {
                endBlock();
                orElse = parseBody(Set.of("endif"));
                closeBlock("endif");
                break;
            } else {
                endBlock();
                break;
            }
        }
        return new Node.If(conds, bodies, orElse);
    }

    private Node parseFor() {
        List<String> targets = new ArrayList<>();
        targets.add(expectName());
        while (peek().isOp(",")) {
            pos++;
            targets.add(expectName());
        }
        if (!next().isName("in")) throw error("expected 'in' in for loop");
        Expr iterable = parseOr(); // no conditional expression: 'if' here is a loop filter
        Expr filter = null;
        if (peek().isName("if")) {
            pos++;
            filter = parseOr();
        }
        if (peek().isName("recursive")) throw error("recursive for loops are not supported");
        endBlock();
        List<Node> body = parseBody(Set.of("else", "endfor"));
        List<Node> orElse = List.of();
        pos++;
        String kw = next().text();
        endBlock();
        if (kw.equals("else")) {
            orElse = parseBody(Set.of("endfor"));
            closeBlock("endfor");
        }
        return new Node.For(targets, iterable, filter, body, orElse);
    }

    private Node parseSet() {
        String first = expectName();
        if (peek().kind() == Kind.BLOCK_END) {
            endBlock();
            List<Node> body = parseBody(Set.of("endset"));
            closeBlock("endset");
            return new Node.SetBlock(first, body);
        }
        String attribute = null;
        List<String> targets = new ArrayList<>(List.of(first));
        if (peek().isOp(".")) {
            pos++;
            attribute = expectName();
        } else {
            while (peek().isOp(",")) {
                pos++;
                targets.add(expectName());
            }
        }
        if (!next().isOp("=")) throw error("expected '=' in set");
        Expr value = parseTupleOrExpr();
        endBlock();
        return new Node.Set(targets, attribute, value);
    }

    private Node parseMacro() {
        String name = expectName();
        expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            params.add(expectName());
            if (peek().isOp("=")) {
                pos++;
                defaults.add(parseExpr());
            } else {
                defaults.add(null);
            }
            if (!peek().isOp(",")) break;
            pos++;
        }
        expectOp(")");
        endBlock();
        List<Node> body = parseBody(Set.of("endmacro"));
        closeBlock("endmacro");
        return new Node.Macro(name, params, defaults, body);
    }

    private void closeBlock(String name) {
        expect(Kind.BLOCK_START, "{%");
        if (!next().isName(name)) throw error("expected {% " + name + " %}");
        endBlock();
    }

    private void endBlock() { expect(Kind.BLOCK_END, "%}"); }

    // ---- expressions ----

    private Expr parseTupleOrExpr() {
        Expr first = parseExpr();
        if (!peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            pos++;
            items.add(parseExpr());
        }
        return new Expr.ListExpr(items);
    }

    Expr parseExpr() {
        enter();
        try {
            return parseConditional();
        } finally {
            depth--;
        }
    }

    /** One more level of nesting, refused beyond maxDepth before the Java stack runs out. */
    private void enter() {
        if (++depth > maxDepth) {
            throw new TemplateBudgetException("template line " + tokens.get(Math.min(pos, tokens.size() - 1)).line()
                    + ": nesting deeper than " + maxDepth + " levels", "maxDepth", maxDepth);
        }
    }

    private Expr parseConditional() {
        Expr e = parseOr();
        if (peek().isName("if")) {
            pos++;
            Expr cond = parseOr();
            Expr orElse = null;
            if (peek().isName("else")) {
                pos++;
                orElse = parseExpr();
            }
            return new Expr.Conditional(cond, e, orElse);
        }
        return e;
    }

    private Expr parseOr() {
        Expr e = parseAnd();
        while (peek().isName("or")) {
            pos++;
            e = new Expr.Binary("or", e, parseAnd());
        }
        return e;
    }

    private Expr parseAnd() {
        Expr e = parseNot();
        while (peek().isName("and")) {
            pos++;
            e = new Expr.Binary("and", e, parseNot());
        }
        return e;
    }

    private Expr parseNot() {
        if (peek().isName("not")) {
            pos++;
            enter();
            try {
                return new Expr.Unary("not", parseNot());
            } finally {
                depth--;
            }
        }
        return parseCompare();
    }

    private static final Set<String> COMPARE = Set.of("==", "!=", "<", "<=", ">", ">=");

    private Expr parseCompare() {
        Expr e = parseConcat();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARE.contains(t.text())) {
                pos++;
                e = new Expr.Binary(t.text(), e, parseConcat());
            } else if (t.isName("in")) {
                pos++;
                e = new Expr.Binary("in", e, parseConcat());
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                e = new Expr.Unary("not", new Expr.Binary("in", e, parseConcat()));
            } else if (t.isName("is")) {
                pos++;
                boolean negated = false;
                if (peek().isName("not")) {
                    pos++;
                    negated = true;
                }
                String test = expectNameOrKeyword();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    pos++;
                    while (!peek().isOp(")")) {
                        args.add(parseExpr());
                        if (!peek().isOp(",")) break;
                        pos++;
                    }
                    expectOp(")");
                } else if (startsPrimary(peek())) {
                    args.add(parsePrimaryWithPostfix());
                }
                e = new Expr.Test(e, test, args, negated);
            } else {
                return e;
            }
        }
    }

    private boolean startsPrimary(Token t) {
        return switch (t.kind()) {
            case STRING, INT, FLOAT -> true;
            case NAME -> !Set.of("and", "or", "not", "if", "else", "in", "is").contains(t.text());
            default -> false;
        };
    }

    private Expr parseConcat() {
        Expr e = parseAdd();
        while (peek().isOp("~")) {
            pos++;
            e = new Expr.Binary("~", e, parseAdd());
        }
        return e;
    }

    private Expr parseAdd() {
        Expr e = parseMul();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().text();
            e = new Expr.Binary(op, e, parseMul());
        }
        return e;
    }

    private Expr parseMul() {
        Expr e = parseUnary();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().text();
            e = new Expr.Binary(op, e, parseUnary());
        }
        return e;
    }

    private Expr parseUnary() {
        if (peek().isOp("-") || peek().isOp("+")) {
            boolean minus = next().isOp("-");
            enter();
            try {
                Expr operand = parseUnary();
                return minus ? new Expr.Unary("-", operand) : operand;
            } finally {
                depth--;
            }
        }
        return parseFiltered();
    }

    /** Postfix chain then filters: {@code x.a[0](..)|f(..)|g}. */
    private Expr parseFiltered() {
        Expr e = parsePrimaryWithPostfix();
        while (peek().isOp("|")) {
            pos++;
            String name = expectName();
            List<Expr> args = new ArrayList<>();
            List<String> kwNames = new ArrayList<>();
            List<Expr> kwValues = new ArrayList<>();
            if (peek().isOp("(")) {
                pos++;
                parseArgs(args, kwNames, kwValues);
            }
            e = new Expr.Filter(e, name, args, kwNames, kwValues);
            e = parsePostfix(e);
        }
        return e;
    }

    private Expr parsePrimaryWithPostfix() {
        return parsePostfix(parsePrimary());
    }

    private Expr parsePostfix(Expr e) {
        while (true) {
            if (peek().isOp(".")) {
                pos++;
                Token t = next();
                if (t.kind() == Kind.INT) e = new Expr.Index(e, new Expr.Literal(parseInt(t)));
                else if (t.kind() == Kind.NAME) e = new Expr.Attr(e, t.text());
                else throw error("expected an attribute name after '.'");
            } else if (peek().isOp("[")) {
                pos++;
                e = parseSubscript(e);
            } else if (peek().isOp("(")) {
                pos++;
                List<Expr> args = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                List<Expr> kwValues = new ArrayList<>();
                parseArgs(args, kwNames, kwValues);
                e = new Expr.Call(e, args, kwNames, kwValues);
            } else {
                return e;
            }
        }
    }

    private Expr parseSubscript(Expr target) {
        Expr start = null, stop = null, step = null;
        if (!peek().isOp(":")) start = parseExpr();
        if (peek().isOp("]")) {
            pos++;
            return new Expr.Index(target, start);
        }
        expectOp(":");
        if (!peek().isOp("]") && !peek().isOp(":")) stop = parseExpr();
        if (peek().isOp(":")) {
            pos++;
            if (!peek().isOp("]")) step = parseExpr();
        }
        expectOp("]");
        return new Expr.Slice(target, start, stop, step);
    }

    /** After '(' up to and including ')'. */
    private void parseArgs(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        while (!peek().isOp(")")) {
            if (peek().kind() == Kind.NAME && tokens.get(pos + 1).isOp("=")) {
                kwNames.add(next().text());
                pos++;
                kwValues.add(parseExpr());
            } else {
                if (!kwNames.isEmpty()) throw error("positional argument after keyword argument");
                args.add(parseExpr());
            }
            if (!peek().isOp(",")) break;
            pos++;
        }
        expectOp(")");
    }

    private Expr parsePrimary() {
        Token t = next();
        switch (t.kind()) {
            case STRING -> {
                // Adjacent string literals concatenate, as in Python.
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) sb.append(next().text());
                return new Expr.Literal(sb.toString());
            }
            case INT -> { return new Expr.Literal(parseInt(t)); }
            case FLOAT -> { return new Expr.Literal(Double.parseDouble(t.text())); }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Literal(Boolean.TRUE);
                    case "false", "False" -> new Expr.Literal(Boolean.FALSE);
                    case "none", "None" -> new Expr.Literal(null);
                    default -> new Expr.Name(t.text());
                };
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            pos++;
                            return new Expr.ListExpr(List.of());
                        }
                        Expr e = parseExpr();
                        if (peek().isOp(",")) {
                            List<Expr> items = new ArrayList<>(List.of(e));
                            while (peek().isOp(",")) {
                                pos++;
                                if (peek().isOp(")")) break;
                                items.add(parseExpr());
                            }
                            e = new Expr.ListExpr(items);
                        }
                        expectOp(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            items.add(parseExpr());
                            if (!peek().isOp(",")) break;
                            pos++;
                        }
                        expectOp("]");
                        return new Expr.ListExpr(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            keys.add(parseExpr());
                            expectOp(":");
                            values.add(parseExpr());
                            if (!peek().isOp(",")) break;
                            pos++;
                        }
                        expectOp("}");
                        return new Expr.DictExpr(keys, values);
                    }
                    default -> throw error("unexpected '" + t.text() + "'");
                }
            }
            default -> throw error("unexpected end of expression");
        }
    }

    // ---- helpers ----

    private long parseInt(Token t) {
        try {
            return Long.parseLong(t.text());
        } catch (NumberFormatException e) {
            throw error("integer literal " + t.text() + " is out of range");
        }
    }

    private Token peek() { return tokens.get(pos); }

    private Token next() { return tokens.get(pos++); }

    private String expectName() {
        Token t = next();
        if (t.kind() != Kind.NAME) throw error("expected a name, found '" + t.text() + "'");
        return t.text();
    }

    private String expectNameOrKeyword() {
        Token t = next();
        if (t.kind() == Kind.NAME) return t.text();
        throw error("expected a test name after 'is'");
    }

    private void expectOp(String op) {
        Token t = next();
        if (!t.isOp(op)) throw error("expected '" + op + "', found '" + t.text() + "'");
    }

    private void expect(Kind kind, String what) {
        Token t = next();
        if (t.kind() != kind) throw error("expected '" + what + "', found '" + t.text() + "'");
    }

    private TemplateException error(String msg) {
        int line = tokens.get(Math.min(pos, tokens.size() - 1)).line();
        return new TemplateException("template line " + line + ": " + msg);
    }
}
