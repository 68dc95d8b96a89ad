package dev.casa.text.prompt.jinja;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Jinja template, rendered as Hugging Face renders chat templates: sandboxed (lists and
 * dicts are immutable; only namespaces can be changed), {@code trim_blocks} and
 * {@code lstrip_blocks}, the {@code loopcontrols} extension, and {@code raise_exception}.
 * Values handed in are Java {@link String}, {@link Number}, {@link Boolean}, {@code null},
 * {@link List} and {@link Map}. Immutable and thread-safe once parsed.
 *
 * <p>Parsing and each render stay within a {@link TemplateBudget}; every failure, including going
 * over the budget ({@link TemplateBudgetException}), is a {@link TemplateException}.
 */
public final class Template {
    private final List<Node> body;
    private final TemplateBudget budget;

    private Template(List<Node> body, TemplateBudget budget) {
        this.body = body;
        this.budget = budget;
    }

    /** Parses the template with the {@link TemplateBudget#DEFAULT default budget}. */
    public static Template parse(String source) {
        return parse(source, TemplateBudget.DEFAULT);
    }

    /**
     * Parses the template; a syntax error, an unsupported statement or nesting deeper than
     * {@code budget.maxDepth()} is a {@link TemplateException}. Renders use {@code budget}.
     */
    public static Template parse(String source, TemplateBudget budget) {
        try {
            return new Template(Parser.parse(source, budget.maxDepth()), budget);
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            // A defect of this parser, not of the template: still report it as a template failure.
            throw new TemplateException("chat template cannot be parsed: " + e, e);
        }
    }

    public TemplateBudget budget() { return budget; }

    /** Renders with {@code variables} as globals (plus the built-in functions). */
    public String render(Map<String, ?> variables) {
        return render(variables, new BudgetMeter(budget));
    }

    /** Renders counting on {@code meter} (tests read its steps). */
    String render(Map<String, ?> variables, BudgetMeter meter) {
        try {
            return meter.run(() -> renderMetered(variables, meter));
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            // A defect of this engine, not of the template: still report it as a template failure.
            throw new TemplateException("chat template failed: " + e, e);
        }
    }

    private String renderMetered(Map<String, ?> variables, BudgetMeter meter) {
        Scope globals = new Scope(null);
        globals.vars.put("raise_exception", (Callable) (args, kw) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception called" : PyValues.str(args.get(0)));
        });
        globals.vars.put("namespace", (Callable) (args, kw) -> {
            Namespace ns = new Namespace();
            if (!args.isEmpty() && args.get(0) instanceof Map<?, ?> m) m.forEach((k, v) -> ns.values.put(String.valueOf(k), v));
            ns.values.putAll(kw);
            return ns;
        });
        globals.vars.put("range", (Callable) (args, kw) -> range(args, meter));
        globals.vars.put("dict", (Callable) (args, kw) -> Builtins.kwargsMap(kw));
        globals.vars.put("strftime_now", (Callable) (args, kw) -> {
            if (args.size() != 1 || !(args.get(0) instanceof String fmt)) throw new TemplateException("strftime_now() takes one format string");
            return java.time.LocalDateTime.now().format(StrftimeFormat.toFormatter(fmt));
        });
        for (Map.Entry<String, ?> e : variables.entrySet()) globals.vars.put(e.getKey(), toTemplateValue(e.getValue(), meter));
        StringBuilder out = new StringBuilder();
        new Renderer(out, meter, false).renderAll(body, new Scope(globals));
        return out.toString();
    }

    /** Converts Java numbers to the interpreter's Long/Double and copies collections. */
    static Object toTemplateValue(Object v, BudgetMeter meter) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (!(v instanceof List<?>) && !(v instanceof Map<?, ?>)) return v;
        meter.enter();
        try {
            meter.size(v);
            if (v instanceof List<?> l) {
                List<Object> out = new ArrayList<>(l.size());
                for (Object o : l) out.add(toTemplateValue(o, meter));
                return out;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) v).forEach((k, val) -> out.put(String.valueOf(k), toTemplateValue(val, meter)));
            return out;
        } finally {
            meter.exit();
        }
    }

    /** Python's {@code range}, refused above {@code maxRange} items as Jinja2's sandbox does. */
    private static List<Object> range(List<Object> args, BudgetMeter meter) {
        if (args.isEmpty() || args.size() > 3) throw new TemplateException("range() takes 1 to 3 arguments, got " + args.size());
        for (Object a : args) {
            if (!(a instanceof Long || a instanceof Boolean)) throw new TemplateException("range() needs integers, got " + PyValues.typeName(a));
        }
        long start = 0, stop, step = 1;
        if (args.size() == 1) {
            stop = PyValues.toLong(args.get(0));
        } else {
            start = PyValues.toLong(args.get(0));
            stop = PyValues.toLong(args.get(1));
            if (args.size() > 2) step = PyValues.toLong(args.get(2));
        }
        if (step == 0) throw new TemplateException("range() step must not be zero");
        // Python's len(range(start, stop, step)), in exact arithmetic (the longs may be near their limits).
        java.math.BigInteger span = java.math.BigInteger.valueOf(stop).subtract(java.math.BigInteger.valueOf(start));
        java.math.BigInteger st = java.math.BigInteger.valueOf(step);
        java.math.BigInteger len = span.signum() != st.signum() ? java.math.BigInteger.ZERO
                : span.add(st).subtract(java.math.BigInteger.valueOf(st.signum())).divide(st);
        if (len.compareTo(java.math.BigInteger.valueOf(meter.budget.maxRange())) > 0) {
            throw new TemplateBudgetException("range() of " + len + " items", "maxRange", meter.budget.maxRange());
        }
        int n = len.intValue();
        meter.steps(n);
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(start + i * step);
        return out;
    }

    /** Variables of one level: the template, a loop iteration or a macro call. */
    static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) { this.parent = parent; }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) return s.vars.get(name);
            }
            return new Undefined(name);
        }
    }
}
