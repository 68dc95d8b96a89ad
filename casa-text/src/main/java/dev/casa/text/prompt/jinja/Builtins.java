package dev.casa.text.prompt.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Filters, tests and methods on strings, lists and dicts that real chat templates use. */
final class Builtins {
    private Builtins() {}

    static Object filter(String name, Object v, List<Object> args, Map<String, Object> kw) {
        BudgetMeter meter = BudgetMeter.current();
        meter.size(v);
        Object result = applyFilter(name, v, args, kw);
        if (result instanceof String s && s != v) meter.checkString(s.length(), "filter '" + name + "'");
        return result;
    }

    private static Object applyFilter(String name, Object v, List<Object> args, Map<String, Object> kw) {
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
                String sep = PyValues.str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> items = PyValues.iterate(v);
                if (attribute != null) items.replaceAll(item -> attribute(item, PyValues.str(attribute)));
                yield join(sep, items);
            }
            case "replace" -> {
                String s = str(v, name);
                String old = PyValues.str(arg(args, kw, 0, "old", null));
                String rep = PyValues.str(arg(args, kw, 1, "new", null));
                Object count = arg(args, kw, 2, "count", null);
                yield replaceCount(s, old, rep, count == null ? -1 : PyValues.toLong(count));
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
                // Python treats a negative indent as 0; a huge one is refused by the string budget.
                Integer width = indent == null ? null : (int) Math.max(0, Math.min(Integer.MAX_VALUE, PyValues.toLong(indent)));
                yield Json.dumps(v, width, itemSep, keySep, PyValues.truthy(kw.getOrDefault("sort_keys", false)));
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
            case "unique" -> unique(PyValues.iterate(v), PyValues.truthy(arg(args, kw, 0, "case_sensitive", false)),
                    arg(args, kw, 1, "attribute", null));
            case "items" -> items(v);
            case "dictsort" -> {
                List<Object> pairs = items(v);
                chargeSort(pairs.size());
                pairs.sort(Comparator.comparing(p -> PyValues.str(((List<?>) p).get(0))));
                yield pairs;
            }
            case "selectattr", "rejectattr" -> selectAttr(v, args, name.equals("selectattr"));
            case "select", "reject" -> select(v, args, name.equals("select"));
            case "map" -> map(v, args, kw);
            case "indent" -> indent(str(v, name), args, kw);
            case "safe", "e", "escape", "forceescape" -> v;
            case "wordcount" -> {
                String s = str(v, name).trim();
                yield s.isEmpty() ? 0L : (long) s.split("\\s+").length;
            }
            case "center" -> str(v, name);
            case "batch", "slice", "groupby", "sum", "min", "max" -> aggregate(name, v, args, kw);
            default -> throw new TemplateException("unsupported filter '" + name + "'");
        };
    }

    static boolean test(String name, Object v, List<Object> args) {
        int needed = switch (name) {
            case "divisibleby", "equalto", "eq", "==", "sameas", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
                 "greaterthan", ">", "ge", ">=", "in" -> 1;
            default -> 0;
        };
        if (args.size() < needed) throw new TemplateException("test '" + name + "' needs an argument");
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
            case "divisibleby" -> {
                long d = PyValues.toLong(args.get(0));
                if (d == 0) throw new TemplateException("divisibleby(0): modulo by zero");
                yield PyValues.toLong(v) % d == 0;
            }
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
            case "get" -> (a, k) -> {
                need(a, 1, "get");
                return a.get(0) instanceof String key && m.containsKey(key) ? m.get(key) : (a.size() > 1 ? a.get(1) : null);
            };
            default -> null;
        };
    }

    private static Callable listMethod(List<?> l, String name) {
        return switch (name) {
            case "index" -> (a, k) -> {
                need(a, 1, "index");
                for (int i = 0; i < l.size(); i++) if (PyValues.equal(l.get(i), a.get(0))) return (long) i;
                throw new TemplateException("value not in list");
            };
            case "count" -> (a, k) -> {
                need(a, 1, "count");
                return l.stream().filter(x -> PyValues.equal(x, a.get(0))).count();
            };
            case "append", "pop", "insert", "extend", "remove", "clear", "sort", "reverse" -> (a, k) -> {
                throw new TemplateException("lists are immutable in chat templates (called ." + name + ")");
            };
            default -> null;
        };
    }

    private static Callable stringMethod(String s, String name) {
        Callable method = switch (name) {
            case "strip" -> (a, k) -> pyStrip(s, a.isEmpty() ? null : a.get(0));
            case "lstrip" -> (a, k) -> pyLstrip(s, a.isEmpty() || a.get(0) == null ? null : PyValues.str(a.get(0)));
            case "rstrip" -> (a, k) -> pyRstrip(s, a.isEmpty() || a.get(0) == null ? null : PyValues.str(a.get(0)));
            case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (a, k) -> title(s);
            case "capitalize" -> (a, k) -> filter("capitalize", s, List.of(), Map.of());
            case "startswith" -> (a, k) -> startsOrEnds(s, need(a, 1, name).get(0), true);
            case "endswith" -> (a, k) -> startsOrEnds(s, need(a, 1, name).get(0), false);
            case "split" -> (a, k) -> split(s, a.isEmpty() ? null : a.get(0), a.size() > 1 ? PyValues.toLong(a.get(1)) : -1);
            case "replace" -> (a, k) -> replaceCount(s, PyValues.str(need(a, 2, name).get(0)), PyValues.str(a.get(1)),
                    a.size() > 2 ? PyValues.toLong(a.get(2)) : -1);
            case "find" -> (a, k) -> (long) TextSearch.indexOf(s, PyValues.str(need(a, 1, name).get(0)), 0);
            case "count" -> (a, k) -> (long) countOccurrences(s, PyValues.str(need(a, 1, name).get(0)));
            case "join" -> (a, k) -> join(s, PyValues.iterate(need(a, 1, name).get(0)));
            case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            case "format" -> (a, k) -> braceFormat(s, a, k);
            default -> null;
        };
        if (method == null) return null;
        // Charge for reading the string, and check the length of a string the method builds.
        return (a, k) -> {
            BudgetMeter meter = BudgetMeter.current();
            meter.size(s);
            Object result = method.call(a, k);
            if (result instanceof String r && r != s) meter.checkString(r.length(), "'." + name + "()'");
            return result;
        };
    }

    // ---- helpers ----

    /** {@code args}, after checking that a method got at least {@code n} arguments. */
    private static List<Object> need(List<Object> args, int n, String method) {
        if (args.size() < n) throw new TemplateException("." + method + "() needs " + n + " argument" + (n > 1 ? "s" : "") + ", got " + args.size());
        return args;
    }

    /** Joins the str() of {@code items} with {@code sep}, within the string budget. */
    private static String join(String sep, List<Object> items) {
        BudgetMeter meter = BudgetMeter.current();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) meter.append(sb, sep, "join");
            meter.append(sb, PyValues.str(items.get(i)), "join");
        }
        return sb.toString();
    }

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
        TextSearch search = new TextSearch(d);
        int from = 0;
        while (max < 0 || out.size() < max) {
            BudgetMeter.current().step();
            int i = search.in(s, from);
            if (i < 0) break;
            out.add(s.substring(from, i));
            from = i + d.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** Python's str.replace(old, new, count); count < 0 replaces all. Builds within the string budget. */
    private static String replaceCount(String s, String old, String rep, long count) {
        BudgetMeter meter = BudgetMeter.current();
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            // Python inserts the replacement before every character and at the end.
            int n = 0, i = 0;
            while (true) {
                if (count >= 0 && n >= count) {
                    meter.append(sb, s.substring(i), "replace");
                    return sb.toString();
                }
                meter.append(sb, rep, "replace");
                n++;
                if (i == s.length()) return sb.toString();
                int next = s.offsetByCodePoints(i, 1);
                meter.append(sb, s.substring(i, next), "replace");
                i = next;
            }
        }
        TextSearch search = new TextSearch(old);
        int from = 0;
        for (long n = 0; n < count || count < 0; n++) {
            int i = search.in(s, from);
            if (i < 0) break;
            meter.append(sb, s.substring(from, i), "replace");
            meter.append(sb, rep, "replace");
            from = i + old.length();
        }
        meter.append(sb, s.substring(from), "replace");
        return sb.toString();
    }

    private static int countOccurrences(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1;
        TextSearch search = new TextSearch(sub);
        int n = 0;
        for (int i = search.in(s, 0); i >= 0; i = search.in(s, i + sub.length())) n++;
        return n;
    }

    /** Python's str.format for positional ({@code {}}, {@code {0}}) and named ({@code {name}}) fields. */
    private static String braceFormat(String fmt, List<Object> args, Map<String, Object> kw) {
        BudgetMeter meter = BudgetMeter.current();
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                meter.append(sb, '{', "format");
                i++;
            } else if (c == '}' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                meter.append(sb, '}', "format");
                i++;
            } else if (c == '{') {
                int end = fmt.indexOf('}', i);
                if (end < 0) throw new TemplateException("format string has an unclosed '{'");
                String field = fmt.substring(i + 1, end);
                Object v;
                if (field.isEmpty() || field.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                    int index = field.isEmpty() ? auto++ : field.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(field);
                    if (index >= args.size()) throw new TemplateException("format: no positional argument " + index);
                    v = args.get(index);
                } else {
                    if (!kw.containsKey(field)) throw new TemplateException("format: no argument named '" + field + "'");
                    v = kw.get(field);
                }
                meter.append(sb, PyValues.str(v), "format");
                i = end;
            } else {
                meter.append(sb, c, "format");
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
        chargeSort(items.size());
        boolean caseSensitive = PyValues.truthy(arg(args, kw, 1, "case_sensitive", false));
        Comparator<Object> cmp = (a, b) -> {
            Object x = attribute == null ? a : attribute(a, PyValues.str(attribute));
            Object y = attribute == null ? b : attribute(b, PyValues.str(attribute));
            if (x instanceof String sx && y instanceof String sy && !caseSensitive) {
                BudgetMeter.current().chars((long) sx.length() + sy.length());
                return sx.toLowerCase(Locale.ROOT).compareTo(sy.toLowerCase(Locale.ROOT));
            }
            return PyValues.compare(x, y);
        };
        items.sort(reverse ? cmp.reversed() : cmp);
        return items;
    }

    /** A comparison sort makes about n log2 n comparisons. */
    private static void chargeSort(int n) {
        BudgetMeter.current().steps((long) n * (64 - Long.numberOfLeadingZeros(n)));
    }

    /**
     * Jinja2's {@code unique}: distinct items in first-seen order, strings compared ignoring case unless
     * {@code caseSensitive}. Scalars are hashed by their Python value; lists and dicts are compared one by
     * one (Java hashing of a deeply nested value would recurse without limit).
     */
    private static List<Object> unique(List<Object> items, boolean caseSensitive, Object attribute) {
        BudgetMeter meter = BudgetMeter.current();
        List<Object> out = new ArrayList<>();
        List<Object> seenValues = new ArrayList<>();
        java.util.Set<Object> seenScalars = new java.util.HashSet<>();
        for (Object item : items) {
            Object value = attribute == null ? item : attribute(item, PyValues.str(attribute));
            if (value instanceof String s && !caseSensitive) value = s.toLowerCase(Locale.ROOT);
            meter.size(value);
            Object key = scalarKey(value);
            boolean fresh;
            if (key != null) {
                fresh = seenScalars.add(key);
            } else {
                fresh = true;
                for (Object o : seenValues) {
                    meter.step();
                    if (PyValues.equal(o, value)) {
                        fresh = false;
                        break;
                    }
                }
                if (fresh) seenValues.add(value);
            }
            if (fresh) out.add(item);
        }
        return out;
    }

    /** A hash key equal for Python-equal scalars (True, 1 and 1.0 are one key); null for other values. */
    private static Object scalarKey(Object v) {
        if (v == null) return NULL_MARK;
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) return (long) (double) d;
        if (v instanceof String || v instanceof Long || v instanceof Double) return v;
        return null;
    }

    private static List<Object> selectAttr(Object v, List<Object> args, boolean keep) {
        if (args.isEmpty()) throw new TemplateException("selectattr/rejectattr needs an attribute name");
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
        BudgetMeter meter = BudgetMeter.current();
        Object width = arg(args, kw, 0, "width", 4L);
        String pad;
        if (width instanceof String w) {
            pad = w;
        } else {
            long n = Math.max(0, PyValues.toLong(width)); // Python: " " * negative is ""
            meter.checkString(n, "indent");
            pad = " ".repeat((int) n);
        }
        boolean first = PyValues.truthy(arg(args, kw, 1, "first", false));
        boolean blank = PyValues.truthy(arg(args, kw, 2, "blank", false));
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) meter.append(sb, '\n', "indent");
            boolean indentThis = (i > 0 || first) && (blank || !lines[i].isBlank());
            if (indentThis) meter.append(sb, pad, "indent");
            meter.append(sb, lines[i], "indent");
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
