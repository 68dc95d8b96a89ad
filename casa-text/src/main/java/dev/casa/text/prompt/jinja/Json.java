package dev.casa.text.prompt.jinja;

import java.util.List;
import java.util.Map;

/** Python {@code json.dumps(v, ensure_ascii=False, indent=..., separators=...)}, as HF's {@code tojson}. */
final class Json {
    private Json() {}

    static String dumps(Object v, Integer indent, String itemSep, String keySep, boolean sortKeys) {
        if (itemSep == null) itemSep = indent == null ? ", " : ",";
        if (keySep == null) keySep = ": ";
        StringBuilder sb = new StringBuilder();
        write(sb, v, indent, itemSep, keySep, sortKeys, 0, BudgetMeter.current());
        return sb.toString();
    }

    /** Appends the JSON of {@code v}; nested values count against the depth budget, text against the string budget. */
    private static void write(StringBuilder sb, Object v, Integer indent, String itemSep, String keySep,
                              boolean sortKeys, int depth, BudgetMeter meter) {
        if (v instanceof List<?> || v instanceof Map<?, ?>) {
            meter.enter();
            try {
                meter.size(v);
                writeContainer(sb, v, indent, itemSep, keySep, sortKeys, depth, meter);
            } finally {
                meter.exit();
            }
            return;
        }
        StringBuilder scalar = new StringBuilder();
        writeScalar(scalar, v);
        meter.append(sb, scalar, "tojson");
    }

    private static void writeScalar(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyValues.formatFloat(d));
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Undefined u) {
            throw new TemplateException("'" + u.name() + "' is undefined and cannot be converted to JSON");
        } else {
            throw new TemplateException("cannot convert " + PyValues.typeName(v) + " to JSON");
        }
    }

    private static void writeContainer(StringBuilder sb, Object v, Integer indent, String itemSep, String keySep,
                                       boolean sortKeys, int depth, BudgetMeter meter) {
        if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                meter.append(sb, "[]", "tojson");
                return;
            }
            meter.append(sb, '[', "tojson");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) meter.append(sb, itemSep, "tojson");
                newline(sb, indent, depth + 1, meter);
                write(sb, l.get(i), indent, itemSep, keySep, sortKeys, depth + 1, meter);
            }
            newline(sb, indent, depth, meter);
            meter.append(sb, ']', "tojson");
        } else {
            Map<?, ?> m = (Map<?, ?>) v;
            if (m.isEmpty()) {
                meter.append(sb, "{}", "tojson");
                return;
            }
            meter.append(sb, '{', "tojson");
            List<?> keys = sortKeys ? m.keySet().stream().map(String::valueOf).sorted().toList() : List.copyOf(m.keySet());
            boolean first = true;
            for (Object k : keys) {
                if (!first) meter.append(sb, itemSep, "tojson");
                first = false;
                newline(sb, indent, depth + 1, meter);
                StringBuilder key = new StringBuilder();
                string(key, String.valueOf(k));
                meter.append(sb, key, "tojson");
                meter.append(sb, keySep, "tojson");
                write(sb, m.get(k), indent, itemSep, keySep, sortKeys, depth + 1, meter);
            }
            newline(sb, indent, depth, meter);
            meter.append(sb, '}', "tojson");
        }
    }

    private static void newline(StringBuilder sb, Integer indent, int depth, BudgetMeter meter) {
        if (indent == null) return;
        long spaces = (long) indent * depth;
        meter.checkString(spaces, "tojson indentation");
        meter.append(sb, "\n" + " ".repeat((int) spaces), "tojson");
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
