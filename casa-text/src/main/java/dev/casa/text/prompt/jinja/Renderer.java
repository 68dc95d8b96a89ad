package dev.casa.text.prompt.jinja;

import dev.casa.text.prompt.jinja.Template.Scope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Walks the parsed template: statements write to the output, expressions evaluate to values. */
final class Renderer {
    private final StringBuilder out;
    private final BudgetMeter meter;
    private final boolean captured; // a set block or macro body: a string value, not the template output

    Renderer(StringBuilder out, BudgetMeter meter, boolean captured) {
        this.out = out;
        this.meter = meter;
        this.captured = captured;
    }

    /** Thrown through the body of a loop by {@code break} / {@code continue}. */
    private static final class LoopSignal extends RuntimeException {
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    void renderAll(List<Node> nodes, Scope scope) {
        for (Node n : nodes) render(n, scope);
    }

    private void render(Node node, Scope scope) {
        meter.step();
        boolean nests = node instanceof Node.If || node instanceof Node.For || node instanceof Node.SetBlock
                || node instanceof Node.Passthrough;
        if (!nests) {
            renderNode(node, scope);
            return;
        }
        meter.enter();
        try {
            renderNode(node, scope);
        } finally {
            meter.exit();
        }
    }

    private void renderNode(Node node, Scope scope) {
        switch (node) {
            case Node.Text t -> append(t.text());
            case Node.Output o -> append(PyValues.str(eval(o.expr(), scope)));
            case Node.If f -> {
                for (int i = 0; i < f.conditions().size(); i++) {
                    if (PyValues.truthy(eval(f.conditions().get(i), scope))) {
                        renderAll(f.bodies().get(i), scope);
                        return;
                    }
                }
                renderAll(f.orElse(), scope);
            }
            case Node.For f -> renderFor(f, scope);
            case Node.Set s -> assign(s, scope);
            case Node.SetBlock s -> {
                StringBuilder text = new StringBuilder();
                new Renderer(text, meter, true).renderAll(s.body(), scope);
                scope.vars.put(s.target(), text.toString());
            }
            case Node.Macro m -> scope.vars.put(m.name(), macro(m, scope));
            case Node.Break b -> throw new LoopSignal(true);
            case Node.Continue c -> throw new LoopSignal(false);
            case Node.Passthrough p -> renderAll(p.body(), scope);
        }
    }

    private void append(String s) {
        if (captured) {
            meter.append(out, s, "a captured block");
            return;
        }
        long length = (long) out.length() + s.length();
        int max = meter.budget.maxOutputChars();
        if (length > max) throw new TemplateBudgetException("output of more than " + max + " characters", "maxOutputChars", max);
        meter.chars(s.length());
        out.append(s);
    }

    private void assign(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.attribute() != null) {
            Object target = scope.lookup(s.targets().get(0));
            if (!(target instanceof Namespace ns)) {
                throw new TemplateException("cannot set attribute '" + s.attribute() + "' on " + PyValues.typeName(target)
                        + " (only namespace() objects can be changed)");
            }
            ns.values.put(s.attribute(), value);
            return;
        }
        if (s.targets().size() == 1) {
            scope.vars.put(s.targets().get(0), value);
            return;
        }
        List<Object> items = PyValues.iterate(value);
        if (items.size() != s.targets().size()) throw new TemplateException("cannot unpack " + items.size() + " values into " + s.targets().size());
        for (int i = 0; i < items.size(); i++) scope.vars.put(s.targets().get(i), items.get(i));
    }

    private void renderFor(Node.For f, Scope scope) {
        List<Object> items = PyValues.iterate(eval(f.iterable(), scope));
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope probe = new Scope(scope);
                bindTargets(f.targets(), item, probe);
                if (PyValues.truthy(eval(f.filter(), probe))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            renderAll(f.orElse(), scope);
            return;
        }
        int n = items.size();
        for (int i = 0; i < n; i++) {
            meter.step();
            Scope iteration = new Scope(scope);
            bindTargets(f.targets(), items.get(i), iteration);
            iteration.vars.put("loop", loopInfo(items, i));
            try {
                renderAll(f.body(), iteration);
            } catch (LoopSignal signal) {
                if (signal.isBreak) break;
            }
        }
    }

    private static void bindTargets(List<String> targets, Object item, Scope scope) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), item);
            return;
        }
        List<Object> parts = PyValues.iterate(item);
        if (parts.size() != targets.size()) throw new TemplateException("cannot unpack " + parts.size() + " values into " + targets.size());
        for (int i = 0; i < parts.size(); i++) scope.vars.put(targets.get(i), parts.get(i));
    }

    private static Map<String, Object> loopInfo(List<Object> items, int i) {
        int n = items.size();
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("previtem", i > 0 ? items.get(i - 1) : new Undefined("loop.previtem"));
        loop.put("nextitem", i < n - 1 ? items.get(i + 1) : new Undefined("loop.nextitem"));
        loop.put("cycle", (Callable) (args, kw) -> {
            if (args.isEmpty()) throw new TemplateException("loop.cycle() needs at least one value");
            return args.get(i % args.size());
        });
        return loop;
    }

    /** A macro as a value; a call nests one level through the call expression that makes it. */
    private Callable macro(Node.Macro m, Scope defining) {
        return (args, kw) -> callMacro(m, defining, args, kw);
    }

    private String callMacro(Node.Macro m, Scope defining, List<Object> args, Map<String, Object> kw) {
        Scope call = new Scope(defining);
        for (int p = 0; p < m.params().size(); p++) {
            String name = m.params().get(p);
            Object v;
            if (p < args.size()) v = args.get(p);
            else if (kw.containsKey(name)) v = kw.get(name);
            else if (m.defaults().get(p) != null) v = eval(m.defaults().get(p), defining);
            else v = new Undefined(name);
            call.vars.put(name, v);
        }
        StringBuilder text = new StringBuilder();
        new Renderer(text, meter, true).renderAll(m.body(), call);
        return text.toString();
    }

    // ---- expressions ----

    Object eval(Expr e, Scope scope) {
        meter.step();
        meter.enter();
        try {
            return evalExpr(e, scope);
        } finally {
            meter.exit();
        }
    }

    private Object evalExpr(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Literal l -> l.value();
            case Expr.Name n -> scope.lookup(n.name());
            case Expr.ListExpr l -> {
                List<Object> items = new ArrayList<>(l.items().size());
                for (Expr x : l.items()) items.add(eval(x, scope));
                yield items;
            }
            case Expr.DictExpr d -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) map.put(PyValues.str(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
                yield map;
            }
            case Expr.Attr a -> Builtins.attribute(eval(a.target(), scope), a.name());
            case Expr.Index i -> index(eval(i.target(), scope), eval(i.index(), scope));
            case Expr.Slice s -> slice(eval(s.target(), scope), evalOrNull(s.start(), scope), evalOrNull(s.stop(), scope),
                    evalOrNull(s.step(), scope));
            case Expr.Call c -> call(c, scope);
            case Expr.Filter f -> {
                Object target = eval(f.target(), scope);
                yield Builtins.filter(f.name(), target, evalList(f.args(), scope), evalKw(f.kwNames(), f.kwValues(), scope));
            }
            case Expr.Test t -> {
                boolean r = Builtins.test(t.name(), eval(t.target(), scope), evalList(t.args(), scope));
                yield t.negated() != r;
            }
            case Expr.Unary u -> switch (u.op()) {
                case "not" -> !PyValues.truthy(eval(u.operand(), scope));
                case "-" -> {
                    Object v = eval(u.operand(), scope);
                    yield v instanceof Long l ? (Object) (-l) : -PyValues.toDouble(v);
                }
                default -> throw new TemplateException("unknown unary operator " + u.op());
            };
            case Expr.Binary b -> binary(b, scope);
            case Expr.Conditional c -> PyValues.truthy(eval(c.condition(), scope)) ? eval(c.then(), scope)
                    : c.orElse() == null ? new Undefined("conditional expression") : eval(c.orElse(), scope);
        };
    }

    private Object evalOrNull(Expr e, Scope scope) { return e == null ? null : eval(e, scope); }

    private List<Object> evalList(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr x : exprs) out.add(eval(x, scope));
        return out;
    }

    private Map<String, Object> evalKw(List<String> names, List<Expr> values, Scope scope) {
        Map<String, Object> kw = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) kw.put(names.get(i), eval(values.get(i), scope));
        return kw;
    }

    private Object call(Expr.Call c, Scope scope) {
        Object callee = eval(c.callee(), scope);
        if (callee instanceof Callable f) return f.call(evalList(c.args(), scope), evalKw(c.kwNames(), c.kwValues(), scope));
        String what = c.callee() instanceof Expr.Name n ? n.name() : c.callee() instanceof Expr.Attr a ? a.name() : "value";
        throw new TemplateException("'" + what + "' is not callable (" + PyValues.typeName(callee) + ")");
    }

    private Object binary(Expr.Binary b, Scope scope) {
        switch (b.op()) {
            case "and" -> {
                Object l = eval(b.left(), scope);
                return PyValues.truthy(l) ? eval(b.right(), scope) : l;
            }
            case "or" -> {
                Object l = eval(b.left(), scope);
                return PyValues.truthy(l) ? l : eval(b.right(), scope);
            }
            default -> { }
        }
        Object l = eval(b.left(), scope), r = eval(b.right(), scope);
        return switch (b.op()) {
            case "==" -> PyValues.equal(l, r);
            case "!=" -> !PyValues.equal(l, r);
            case "<" -> PyValues.compare(l, r) < 0;
            case "<=" -> PyValues.compare(l, r) <= 0;
            case ">" -> PyValues.compare(l, r) > 0;
            case ">=" -> PyValues.compare(l, r) >= 0;
            case "in" -> PyValues.contains(r, l);
            case "~" -> PyValues.concat(PyValues.str(l), PyValues.str(r));
            default -> {
                if (l instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined");
                if (r instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined");
                yield PyValues.arithmetic(b.op(), l, r);
            }
        };
    }

    private Object index(Object target, Object key) {
        if (target instanceof Map<?, ?> || target instanceof Namespace) {
            return Builtins.attribute(target, PyValues.str(key));
        }
        if (target instanceof List<?> l) {
            long i = PyValues.toLong(key);
            if (i < 0) i += l.size();
            return i >= 0 && i < l.size() ? l.get((int) i) : new Undefined("index " + key);
        }
        if (target instanceof String s) {
            meter.size(s);
            int[] cps = s.codePoints().toArray();
            long i = PyValues.toLong(key);
            if (i < 0) i += cps.length;
            return i >= 0 && i < cps.length ? new String(cps, (int) i, 1) : new Undefined("index " + key);
        }
        if (target instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined (indexing [" + PyValues.str(key) + "])");
        throw new TemplateException("cannot index " + PyValues.typeName(target));
    }

    private static Object slice(Object target, Object start, Object stop, Object step) {
        List<Object> items;
        boolean isString = target instanceof String;
        if (isString) items = PyValues.iterate(target);
        else if (target instanceof List<?> l) items = new ArrayList<>(l);
        else throw new TemplateException("cannot slice " + PyValues.typeName(target));
        int n = items.size();
        long st = step == null ? 1 : PyValues.toLong(step);
        if (st == 0) throw new TemplateException("slice step cannot be zero");
        long a, z;
        if (st > 0) {
            a = start == null ? 0 : clampIndex(PyValues.toLong(start), n, 0, n);
            z = stop == null ? n : clampIndex(PyValues.toLong(stop), n, 0, n);
        } else {
            a = start == null ? n - 1 : clampIndex(PyValues.toLong(start), n, -1, n - 1);
            z = stop == null ? -1 : clampIndex(PyValues.toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = a; st > 0 ? i < z : i > z; i += st) out.add(items.get((int) i));
        if (!isString) return out;
        StringBuilder sb = new StringBuilder();
        for (Object o : out) sb.append(o);
        return sb.toString();
    }

    private static long clampIndex(long i, int n, long lo, long hi) {
        if (i < 0) i += n;
        return Math.max(lo, Math.min(hi, i));
    }
}
