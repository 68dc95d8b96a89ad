package dev.casa.text.prompt.jinja;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Python semantics for template values: truth, str(), repr(), equality, ordering, arithmetic. */
final class PyValues {
    private PyValues() {}

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Long l) return l != 0;
        if (v instanceof Double d) return d != 0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    /** Python {@code str(v)}, which is what {@code {{ v }}} prints. */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v instanceof Undefined) return "";
        return repr(v);
    }

    static String repr(Object v) {
        if (v instanceof String s) return quote(s);
        if (!(v instanceof List<?>) && !(v instanceof Map<?, ?>)) return scalarRepr(v);
        StringBuilder sb = new StringBuilder();
        reprInto(sb, v, BudgetMeter.current());
        return sb.toString();
    }

    private static String scalarRepr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Long l) return Long.toString(l);
        if (v instanceof Double d) return formatFloat(d);
        if (v instanceof Undefined) return "";
        if (v instanceof Namespace) return "<Namespace>";
        return v.toString();
    }

    /** Appends repr(v), nested lists and dicts within the depth and string budgets. */
    private static void reprInto(StringBuilder sb, Object v, BudgetMeter meter) {
        if (v instanceof String s) {
            meter.append(sb, quote(s), "repr()");
            return;
        }
        if (!(v instanceof List<?>) && !(v instanceof Map<?, ?>)) {
            meter.append(sb, scalarRepr(v), "repr()");
            return;
        }
        meter.enter();
        try {
            meter.size(v);
            if (v instanceof List<?> l) {
                meter.append(sb, '[', "repr()");
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) meter.append(sb, ", ", "repr()");
                    reprInto(sb, l.get(i), meter);
                }
                meter.append(sb, ']', "repr()");
            } else {
                meter.append(sb, '{', "repr()");
                boolean first = true;
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    if (!first) meter.append(sb, ", ", "repr()");
                    first = false;
                    reprInto(sb, e.getKey(), meter);
                    meter.append(sb, ": ", "repr()");
                    reprInto(sb, e.getValue(), meter);
                }
                meter.append(sb, '}', "repr()");
            }
        } finally {
            meter.exit();
        }
    }

    static String formatFloat(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == Math.rint(d) && Math.abs(d) < 1e16) return (long) d + ".0";
        return Double.toString(d);
    }

    /** Python's repr of a str: single quotes unless the text holds one and no double quote. */
    private static String quote(String s) {
        BudgetMeter.current().checkString(s.length() + 2L, "repr()");
        char q = s.contains("'") && !s.contains("\"") ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(q);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) sb.append('\\');
                    sb.append(c);
                }
            }
        }
        return sb.append(q).toString();
    }

    static boolean equal(Object a, Object b) {
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (a == null || b == null) return a == b;
        if (isNumber(a) && isNumber(b)) return toDouble(a) == toDouble(b);
        BudgetMeter meter = BudgetMeter.current();
        if (a instanceof String sa && b instanceof String sb) {
            meter.chars(Math.min(sa.length(), sb.length()));
            return sa.equals(sb);
        }
        boolean lists = a instanceof List<?> && b instanceof List<?>, maps = a instanceof Map<?, ?> && b instanceof Map<?, ?>;
        if (!lists && !maps) return a.equals(b);
        // Element by element here, not List/Map.equals: those recurse without a depth limit.
        meter.enter();
        try {
            if (lists) {
                List<?> la = (List<?>) a, lb = (List<?>) b;
                if (la.size() != lb.size()) return false;
                for (int i = 0; i < la.size(); i++) {
                    meter.step();
                    if (!equal(la.get(i), lb.get(i))) return false;
                }
                return true;
            }
            Map<?, ?> ma = (Map<?, ?>) a, mb = (Map<?, ?>) b;
            if (ma.size() != mb.size()) return false;
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                meter.step();
                if (!mb.containsKey(e.getKey()) || !equal(e.getValue(), mb.get(e.getKey()))) return false;
            }
            return true;
        } finally {
            meter.exit();
        }
    }

    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) return Double.compare(toDouble(a), toDouble(b));
        if (a instanceof String sa && b instanceof String sb) {
            BudgetMeter.current().chars(Math.min(sa.length(), sb.length()));
            return Integer.signum(compareCodePoints(sa, sb));
        }
        throw new TemplateException("cannot compare " + typeName(a) + " with " + typeName(b));
    }

    private static int compareCodePoints(String a, String b) {
        Iterator<Integer> ia = a.codePoints().iterator(), ib = b.codePoints().iterator();
        while (ia.hasNext() && ib.hasNext()) {
            int c = Integer.compare(ia.next(), ib.next());
            if (c != 0) return c;
        }
        return Boolean.compare(ia.hasNext(), ib.hasNext());
    }

    static boolean isNumber(Object v) { return v instanceof Long || v instanceof Double || v instanceof Boolean; }

    static double toDouble(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Double d) return d;
        if (v instanceof Boolean b) return b ? 1 : 0;
        throw new TemplateException("expected a number, got " + typeName(v));
    }

    static long toLong(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof Double d) return (long) (double) d;
        throw new TemplateException("expected an integer, got " + typeName(v));
    }

    static String typeName(Object v) {
        if (v == null) return "none";
        if (v instanceof Undefined u) return "undefined '" + u.name() + "'";
        if (v instanceof String) return "string";
        if (v instanceof Long) return "int";
        if (v instanceof Double) return "float";
        if (v instanceof Boolean) return "bool";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        return v.getClass().getSimpleName();
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            if (!(item instanceof String sub)) throw new TemplateException("'in <string>' needs a string, got " + typeName(item));
            BudgetMeter.current().chars(s.length());
            return TextSearch.contains(s, sub);
        }
        if (container instanceof List<?> l) {
            for (Object o : l) if (equal(o, item)) return true;
            return false;
        }
        // Keys are strings; hashing another value (a deeply nested list) could overflow the stack.
        if (container instanceof Map<?, ?> m) return item instanceof String && m.containsKey(item);
        if (container instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined");
        throw new TemplateException("'in' is not supported for " + typeName(container));
    }

    /** The items a for loop or a filter walks over. */
    static List<Object> iterate(Object v) {
        BudgetMeter meter = BudgetMeter.current();
        if (v instanceof List<?> l) {
            meter.steps(l.size());
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            meter.steps(m.size());
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            // A String object per character (some 50 bytes each): 4 steps per character.
            meter.steps(4L * s.length());
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        if (v instanceof Undefined) return List.of();
        throw new TemplateException("cannot iterate over " + typeName(v));
    }

    /** String concatenation, refused before building a string over {@code maxStringChars}. */
    static String concat(String a, String b) {
        BudgetMeter.current().checkString((long) a.length() + b.length(), "concatenation");
        return a + b;
    }

    static Object arithmetic(String op, Object a, Object b) {
        if (op.equals("+")) {
            if (a instanceof String sa && b instanceof String sb) return concat(sa, sb);
            if (a instanceof List<?> la && b instanceof List<?> lb) {
                BudgetMeter.current().steps((long) la.size() + lb.size());
                List<Object> r = new ArrayList<>(la);
                r.addAll(lb);
                return r;
            }
        }
        if (op.equals("*") && a instanceof String s && (b instanceof Long || b instanceof Boolean)) {
            long n = Math.max(0, toLong(b));
            if (s.isEmpty() || n == 0) return "";
            // n * length can overflow a long: compare by division first.
            long max = BudgetMeter.current().budget.maxStringChars();
            if (n > max / s.length()) {
                throw new TemplateBudgetException("repeating a string of " + s.length() + " characters " + n + " times",
                        "maxStringChars", max);
            }
            BudgetMeter.current().checkString(n * s.length(), "string repetition");
            return s.repeat((int) n);
        }
        if (op.equals("%") && a instanceof String fmt) return PercentFormat.format(fmt, b);
        if (!isNumber(a) || !isNumber(b)) {
            throw new TemplateException("unsupported operand types for " + op + ": " + typeName(a) + " and " + typeName(b));
        }
        boolean ints = !(a instanceof Double) && !(b instanceof Double);
        return switch (op) {
            case "+" -> ints ? (Object) (toLong(a) + toLong(b)) : toDouble(a) + toDouble(b);
            case "-" -> ints ? (Object) (toLong(a) - toLong(b)) : toDouble(a) - toDouble(b);
            case "*" -> ints ? (Object) (toLong(a) * toLong(b)) : toDouble(a) * toDouble(b);
            case "/" -> {
                if (toDouble(b) == 0) throw new TemplateException("division by zero");
                yield toDouble(a) / toDouble(b);
            }
            case "//" -> {
                if (toDouble(b) == 0) throw new TemplateException("division by zero");
                yield ints ? (Object) Math.floorDiv(toLong(a), toLong(b)) : Math.floor(toDouble(a) / toDouble(b));
            }
            case "%" -> {
                if (toDouble(b) == 0) throw new TemplateException("modulo by zero");
                if (ints) yield Math.floorMod(toLong(a), toLong(b));
                double x = toDouble(a), y = toDouble(b);
                yield x - Math.floor(x / y) * y;
            }
            default -> throw new TemplateException("unknown operator " + op);
        };
    }

    /** Python's {@code "%s" % x} for the simple %s / %d cases templates use. */
    static final class PercentFormat {
        static String format(String fmt, Object args) {
            BudgetMeter meter = BudgetMeter.current();
            meter.size(fmt);
            List<Object> values = args instanceof List<?> l ? new ArrayList<>(l) : java.util.Collections.singletonList(args);
            StringBuilder sb = new StringBuilder();
            int next = 0;
            for (int i = 0; i < fmt.length(); i++) {
                char c = fmt.charAt(i);
                if (c != '%' || i + 1 >= fmt.length()) {
                    meter.append(sb, c, "'%' formatting");
                    continue;
                }
                char k = fmt.charAt(++i);
                if (k == '%') {
                    meter.append(sb, '%', "'%' formatting");
                } else if (k == 's' || k == 'd' || k == 'r') {
                    if (next >= values.size()) throw new TemplateException("not enough arguments for format string");
                    Object v = values.get(next++);
                    meter.append(sb, k == 'r' ? repr(v) : k == 'd' ? Long.toString(toLong(v)) : str(v), "'%' formatting");
                } else {
                    throw new TemplateException("unsupported format '%" + k + "'");
                }
            }
            return sb.toString();
        }
    }
}
