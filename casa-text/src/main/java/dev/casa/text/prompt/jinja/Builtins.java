package dev.casa.text.prompt.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Filters, tests and methods on strings, lists and dicts that real chat templates use. */
final class Builtins {
    private Builtins() {}

    static Object filter(String name, Object v, List<Object> args, Map<String, Object> kw) {
        return switch (name) {
            case "trim" -> pyStrip(str(v, name), arg(args, kw, 0, "chars", null));
            case "upper" -> str(v, name).toUpperCase(Locale.ROOT);
            case "lower" -> str(v, name).toLowerCase(Locale.ROOT);
            case "capitalize" -> {
                String s = str(v, name);
                yield s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            }
            case "title" -> title(str(v, name));
            case "length", "count" -> (long) length(v);
            case "first" -> {
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("first of empty sequence") : items.get(0);
            }
            case "last" -> {
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("last of empty sequence") : items.get(items.size() - 1);
            }
            case "join" -> {
                String sep = (String) arg(args, kw, 0, "d", "");
                Object attribute = arg(args, kw, 1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                List<Object> items = PyValues.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) sb.append(sep);
                    Object item = attribute == null ? items.get(i) : attribute(items.get(i), PyValues.str(attribute));
                    sb.append(PyValues.str(item));
                }
                yield sb.toString();
            }
            case "replace" -> {
                String s = str(v, name);
                String old = PyValues.str(arg(args, kw, 0, "old", null));
                String rep = PyValues.str(arg(args, kw, 1, "new", null));
                Object count = arg(args, kw, 2, "count", null);
                yield count == null ? s.replace(old, rep) : replaceCount(s, old, rep, PyValues.toLong(count));
            }
            case "default", "d" -> {
                Object def = arg(args, kw, 0, "default_value", "");
                boolean bool = PyValues.truthy(arg(args, kw, 1, "boolean", false));
                yield (v instanceof Undefined || (bool && !PyValues.truthy(v))) ? def : v;
            }
            case "tojson" -> {
                Object indent = arg(args, kw, 0, "indent", null);
                Object separators = kw.get("separators");
                String itemSep = null, keySep = null;
                if (separators instanceof List<?> seps && seps.size() == 2) {
                    itemSep = PyValues.str(seps.get(0));
                    keySep = PyValues.str(seps.get(1));
                }
                yield Json.dumps(v, indent == null ? null : (int) PyValues.toLong(indent), itemSep, keySep,
                        PyValues.truthy(kw.getOrDefault("sort_keys", false)));
            }
            case "string" -> PyValues.str(v);
            case "int" -> toInt(v, arg(args, kw, 0, "default", 0L));
            case "float" -> toFloat(v);
            case "abs" -> v instanceof Long l ? (Object) Math.abs(l) : Math.abs(PyValues.toDouble(v));
            case "round" -> round(v, args, kw);
            case "list" -> PyValues.iterate(v);
            case "reverse" -> {
                if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
                List<Object> items = PyValues.iterate(v);
                java.util.Collections.reverse(items);
                yield items;
            }
            case "sort" -> sort(v, args, kw);
            case "unique" -> new ArrayList<>(new LinkedHashSet<>(PyValues.iterate(v)));
            case "items" -> items(v);
            case "dictsort" -> {
                List<Object> pairs = items(v);
                pairs.sort(Comparator.comparing(p -> PyValues.str(((List<?>) p).get(0))));
                yield pairs;
            }
            case "selectattr", "rejectattr" -> selectAttr(v, args, name.equals("selectattr"));
            case "select", "reject" -> select(v, args, name.equals("select"));
            case "map" -> map(v, args, kw);
            case "indent" -> indent(str(v, name), args, kw);
            case "safe", "e", "escape", "forceescape" -> v;
            case "wordcount" -> (long) str(v, name).trim().split("\\s+").length;
            case "center" -> str(v, name);
            case "batch", "slice", "groupby", "sum", "min", "max" -> aggregate(name, v, args, kw);
            default -> throw new TemplateException("unsupported filter '" + name + "'");
        };
    }

    static boolean test(String name, Object v, List<Object> args) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "number" -> v instanceof Long || v instanceof Double;
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "mapping" -> v instanceof Map;
            case "sequence" -> v instanceof List || v instanceof String || v instanceof Map;
            case "iterable" -> v instanceof List || v instanceof String || v instanceof Map;
            case "callable" -> v instanceof Callable;
            case "odd" -> PyValues.toLong(v) % 2 != 0;
            case "even" -> PyValues.toLong(v) % 2 == 0;
            case "divisibleby" -> PyValues.toLong(v) % PyValues.toLong(args.get(0)) == 0;
            case "equalto", "eq", "==", "sameas" -> PyValues.equal(v, args.get(0));
            case "ne", "!=" -> !PyValues.equal(v, args.get(0));
            case "lt", "lessthan", "<" -> PyValues.compare(v, args.get(0)) < 0;
            case "le", "<=" -> PyValues.compare(v, args.get(0)) <= 0;
            case "gt", "greaterthan", ">" -> PyValues.compare(v, args.get(0)) > 0;
            case "ge", ">=" -> PyValues.compare(v, args.get(0)) >= 0;
            case "in" -> PyValues.contains(args.get(0), v);
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            default -> throw new TemplateException("unsupported test '" + name + "'");
        };
    }

    /** {@code obj.name} or {@code obj['name']}: dict keys, then methods; Undefined when absent. */
    static Object attribute(Object obj, String name) {
        if (obj instanceof Map<?, ?> m) {
            if (m.containsKey(name)) return m.get(name);
            Callable method = dictMethod(m, name);
            return method != null ? method : new Undefined(name);
        }
        if (obj instanceof Namespace ns) return ns.values.containsKey(name) ? ns.values.get(name) : new Undefined(name);
        if (obj instanceof String s) {
            Callable method = stringMethod(s, name);
            if (method != null) return method;
        }
        if (obj instanceof List<?> l) {
            Callable method = listMethod(l, name);
            if (method != null) return method;
        }
        if (obj instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined (reading '." + name + "')");
        if (obj == null) throw new TemplateException("None has no attribute '" + name + "'");
        return new Undefined(name);
    }

    private static Callable dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "items" -> (a, k) -> items(m);
            case "keys" -> (a, k) -> new ArrayList<Object>(m.keySet());
            case "values" -> (a, k) -> new ArrayList<Object>(m.values());
            case "get" -> (a, k) -> m.containsKey(a.get(0)) ? m.get(a.get(0)) : (a.size() > 1 ? a.get(1) : null);
            default -> null;
        };
    }

    private static Callable listMethod(List<?> l, String name) {
        return switch (name) {
            case "index" -> (a, k) -> {
                for (int i = 0; i < l.size(); i++) if (PyValues.equal(l.get(i), a.get(0))) return (long) i;
                throw new TemplateException("value not in list");
            };
            case "count" -> (a, k) -> l.stream().filter(x -> PyValues.equal(x, a.get(0))).count();
            case "append", "pop", "insert", "extend", "remove", "clear", "sort", "reverse" -> (a, k) -> {
                throw new TemplateException("lists are immutable in chat templates (called ." + name + ")");
            };
            default -> null;
        };
    }

    private static Callable stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (a, k) -> pyStrip(s, a.isEmpty() ? null : a.get(0));
            case "lstrip" -> (a, k) -> pyLstrip(s, a.isEmpty() ? null : (String) a.get(0));
            case "rstrip" -> (a, k) -> pyRstrip(s, a.isEmpty() ? null : (String) a.get(0));
            case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (a, k) -> title(s);
            case "capitalize" -> (a, k) -> filter("capitalize", s, List.of(), Map.of());
            case "startswith" -> (a, k) -> startsOrEnds(s, a.get(0), true);
            case "endswith" -> (a, k) -> startsOrEnds(s, a.get(0), false);
            case "split" -> (a, k) -> split(s, a.isEmpty() ? null : a.get(0), a.size() > 1 ? PyValues.toLong(a.get(1)) : -1);
            case "replace" -> (a, k) -> a.size() > 2
                    ? replaceCount(s, PyValues.str(a.get(0)), PyValues.str(a.get(1)), PyValues.toLong(a.get(2)))
                    : s.replace(PyValues.str(a.get(0)), PyValues.str(a.get(1)));
            case "find" -> (a, k) -> (long) s.indexOf(PyValues.str(a.get(0)));
            case "count" -> (a, k) -> (long) countOccurrences(s, PyValues.str(a.get(0)));
            case "join" -> (a, k) -> String.join(s, PyValues.iterate(a.get(0)).stream().map(PyValues::str).toList());
            case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "format" -> (a, k) -> braceFormat(s, a, k);
            default -> null;
        };
    }

    // ---- helpers ----

    private static Object arg(List<Object> args, Map<String, Object> kw, int index, String name, Object def) {
        if (index < args.size()) return args.get(index);
        return kw.getOrDefault(name, def);
    }

    private static String str(Object v, String filter) {
        if (v instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined (filter " + filter + ")");
        return PyValues.str(v);
    }

    private static int length(Object v) {
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        if (v instanceof Undefined u) throw new TemplateException("'" + u.name() + "' is undefined (length)");
        throw new TemplateException("object of type " + PyValues.typeName(v) + " has no length");
    }

    private static boolean isPyWhitespace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x1f || c == 0x85;
    }

    static String pyStrip(String s, Object chars) {
        String c = chars == null ? null : PyValues.str(chars);
        return pyRstrip(pyLstrip(s, c), c);
    }

    static String pyLstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && (chars == null ? isPyWhitespace(s.charAt(i)) : chars.indexOf(s.charAt(i)) >= 0)) i++;
        return s.substring(i);
    }

    static String pyRstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && (chars == null ? isPyWhitespace(s.charAt(i - 1)) : chars.indexOf(s.charAt(i - 1)) >= 0)) i--;
        return s.substring(0, i);
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static boolean startsOrEnds(String s, Object arg, boolean start) {
        List<Object> options = arg instanceof List<?> l ? new ArrayList<>(l) : List.of(arg);
        for (Object o : options) {
            String p = PyValues.str(o);
            if (start ? s.startsWith(p) : s.endsWith(p)) return true;
        }
        return false;
    }

    private static List<Object> split(String s, Object sep, long max) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            for (String part : s.strip().split("\\s+", max < 0 ? 0 : (int) max + 1)) if (!part.isEmpty()) out.add(part);
            return out;
        }
        String d = PyValues.str(sep);
        if (d.isEmpty()) throw new TemplateException("empty separator");
        int from = 0;
        while (max < 0 || out.size() < max) {
            int i = s.indexOf(d, from);
            if (i < 0) break;
            out.add(s.substring(from, i));
            from = i + d.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String replaceCount(String s, String old, String rep, long count) {
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long n = 0; n < count || count < 0; n++) {
            int i = s.indexOf(old, from);
            if (i < 0 || old.isEmpty()) break;
            sb.append(s, from, i).append(rep);
            from = i + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    private static int countOccurrences(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String braceFormat(String fmt, List<Object> args, Map<String, Object> kw) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int end = fmt.indexOf('}', i);
                if (end < 0) throw new TemplateException("bad format string");
                String field = fmt.substring(i + 1, end);
                Object v = field.isEmpty() ? args.get(auto++)
                        : field.chars().allMatch(Character::isDigit) ? args.get(Integer.parseInt(field)) : kw.get(field);
                sb.append(PyValues.str(v));
                i = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static Object toInt(Object v, Object def) {
        if (v instanceof Long || v instanceof Boolean) return PyValues.toLong(v);
        if (v instanceof Double d) return (long) (double) d;
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(s.trim());
                } catch (NumberFormatException e2) {
                    return def;
                }
            }
        }
        return def;
    }

    private static Object toFloat(Object v) {
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                return 0.0;
            }
        }
        return PyValues.isNumber(v) ? PyValues.toDouble(v) : 0.0;
    }

    private static Object round(Object v, List<Object> args, Map<String, Object> kw) {
        long precision = PyValues.toLong(arg(args, kw, 0, "precision", 0L));
        String method = PyValues.str(arg(args, kw, 1, "method", "common"));
        double scale = Math.pow(10, precision);
        double x = PyValues.toDouble(v) * scale;
        double r = switch (method) {
            case "ceil" -> Math.ceil(x);
            case "floor" -> Math.floor(x);
            default -> Math.signum(x) * Math.floor(Math.abs(x) + 0.5);
        };
        return r / scale;
    }

    private static List<Object> items(Object v) {
        if (!(v instanceof Map<?, ?> m)) throw new TemplateException("items() needs a mapping, got " + PyValues.typeName(v));
        List<Object> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) out.add(new ArrayList<Object>(List.of(e.getKey(), e.getValue() == null ? NULL_MARK : e.getValue())));
        // List.of forbids null: restore None values.
        for (Object p : out) {
            @SuppressWarnings("unchecked") List<Object> pair = (List<Object>) p;
            if (pair.get(1) == NULL_MARK) pair.set(1, null);
        }
        return out;
    }

    private static final Object NULL_MARK = new Object();

    private static List<Object> sort(Object v, List<Object> args, Map<String, Object> kw) {
        boolean reverse = PyValues.truthy(arg(args, kw, 0, "reverse", false));
        Object attribute = kw.get("attribute");
        List<Object> items = PyValues.iterate(v);
        Comparator<Object> cmp = (a, b) -> {
            Object x = attribute == null ? a : attribute(a, PyValues.str(attribute));
            Object y = attribute == null ? b : attribute(b, PyValues.str(attribute));
            if (x instanceof String sx && y instanceof String sy
                    && !PyValues.truthy(arg(args, kw, 1, "case_sensitive", false))) {
                return sx.toLowerCase(Locale.ROOT).compareTo(sy.toLowerCase(Locale.ROOT));
            }
            return PyValues.compare(x, y);
        };
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    private static List<Object> selectAttr(Object v, List<Object> args, boolean keep) {
        String attr = PyValues.str(args.get(0));
        List<Object> out = new ArrayList<>();
        for (Object item : PyValues.iterate(v)) {
            Object value = attribute(item, attr);
            boolean ok = args.size() < 2 ? PyValues.truthy(value)
                    : test(PyValues.str(args.get(1)), value, args.subList(2, args.size()));
            if (ok == keep) out.add(item);
        }
        return out;
    }

    private static List<Object> select(Object v, List<Object> args, boolean keep) {
        List<Object> out = new ArrayList<>();
        for (Object item : PyValues.iterate(v)) {
            boolean ok = args.isEmpty() ? PyValues.truthy(item)
                    : test(PyValues.str(args.get(0)), item, args.subList(1, args.size()));
            if (ok == keep) out.add(item);
        }
        return out;
    }

    private static List<Object> map(Object v, List<Object> args, Map<String, Object> kw) {
        List<Object> out = new ArrayList<>();
        Object attribute = kw.get("attribute");
        for (Object item : PyValues.iterate(v)) {
            if (attribute != null) {
                Object value = attribute(item, PyValues.str(attribute));
                out.add(value instanceof Undefined && kw.containsKey("default") ? kw.get("default") : value);
            } else if (!args.isEmpty()) {
                out.add(filter(PyValues.str(args.get(0)), item, args.subList(1, args.size()), Map.of()));
            } else {
                throw new TemplateException("map needs a filter name or attribute=");
            }
        }
        return out;
    }

    private static String indent(String s, List<Object> args, Map<String, Object> kw) {
        Object width = arg(args, kw, 0, "width", 4L);
        String pad = width instanceof String w ? w : " ".repeat((int) PyValues.toLong(width));
        boolean first = PyValues.truthy(arg(args, kw, 1, "first", false));
        boolean blank = PyValues.truthy(arg(args, kw, 2, "blank", false));
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) sb.append('\n');
            boolean indentThis = (i > 0 || first) && (blank || !lines[i].isBlank());
            if (indentThis) sb.append(pad);
            sb.append(lines[i]);
        }
        return sb.toString();
    }

    private static Object aggregate(String name, Object v, List<Object> args, Map<String, Object> kw) {
        List<Object> items = PyValues.iterate(v);
        switch (name) {
            case "sum" -> {
                Object total = arg(args, kw, 1, "start", 0L);
                Object attribute = arg(args, kw, 0, "attribute", null);
                for (Object item : items) total = PyValues.arithmetic("+", total, attribute == null ? item : attribute(item, PyValues.str(attribute)));
                return total;
            }
            case "min", "max" -> {
                if (items.isEmpty()) return new Undefined(name + " of empty sequence");
                Object best = items.get(0);
                for (Object item : items) {
                    int c = PyValues.compare(item, best);
                    if (name.equals("min") ? c < 0 : c > 0) best = item;
                }
                return best;
            }
            default -> throw new TemplateException("unsupported filter '" + name + "'");
        }
    }

    /** Python's dict(**kwargs) for namespace(...) and dict(...). */
    static Map<String, Object> kwargsMap(Map<String, Object> kw) {
        return new LinkedHashMap<>(kw);
    }
}
