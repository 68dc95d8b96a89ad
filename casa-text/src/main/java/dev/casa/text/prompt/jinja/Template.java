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
 */
public final class Template {
    private final List<Node> body;

    private Template(List<Node> body) { this.body = body; }

    /** Parses the template; a syntax error or an unsupported statement is a {@link TemplateException}. */
    public static Template parse(String source) {
        return new Template(Parser.parse(source));
    }

    /** Renders with {@code variables} as globals (plus the built-in functions). */
    public String render(Map<String, ?> variables) {
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
        globals.vars.put("range", (Callable) (args, kw) -> range(args));
        globals.vars.put("dict", (Callable) (args, kw) -> Builtins.kwargsMap(kw));
        globals.vars.put("strftime_now", (Callable) (args, kw) ->
                java.time.LocalDateTime.now().format(StrftimeFormat.toFormatter(PyValues.str(args.get(0)))));
        for (Map.Entry<String, ?> e : variables.entrySet()) globals.vars.put(e.getKey(), toTemplateValue(e.getValue()));
        StringBuilder out = new StringBuilder();
        new Renderer(out).renderAll(body, new Scope(globals));
        return out.toString();
    }

    /** Converts Java numbers to the interpreter's Long/Double and copies collections. */
    static Object toTemplateValue(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Float f) return f.doubleValue();
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) out.add(toTemplateValue(o));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(String.valueOf(k), toTemplateValue(val)));
            return out;
        }
        return v;
    }

    private static List<Object> range(List<Object> args) {
        long start = 0, stop, step = 1;
        if (args.size() == 1) {
            stop = PyValues.toLong(args.get(0));
        } else {
            start = PyValues.toLong(args.get(0));
            stop = PyValues.toLong(args.get(1));
            if (args.size() > 2) step = PyValues.toLong(args.get(2));
        }
        if (step == 0) throw new TemplateException("range() step must not be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
            if (out.size() > 1_000_000) throw new TemplateException("range() too large");
        }
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
