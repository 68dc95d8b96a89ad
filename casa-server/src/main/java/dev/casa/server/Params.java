package dev.casa.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of request fields, each failing with a 400 that names the field and what was expected
 * (OpenAI's wording: "Invalid type for 'max_tokens': expected an integer, but got a string instead.").
 */
final class Params {
    private Params() {}

    static String typeOf(JsonNode n) {
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isIntegralNumber()) return "an integer";
        if (n.isNumber()) return "a decimal number";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return "null";
    }

    static ApiException wrongType(String param, String expected, JsonNode got) {
        return ApiException.invalid(param, "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ", but got " + typeOf(got) + " instead.");
    }

    static ApiException badValue(String param, String message) {
        return ApiException.invalid(param, "invalid_value", "Invalid value for '" + param + "': " + message);
    }

    /** True when the field is absent or JSON null (OpenAI treats null as "not given"). */
    static boolean absent(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n == null || n.isNull();
    }

    static String string(JsonNode parent, String field, String param) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw wrongType(param, "a string", n);
        return n.textValue();
    }

    static Boolean bool(JsonNode parent, String field, String param) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isBoolean()) throw wrongType(param, "a boolean", n);
        return n.booleanValue();
    }

    static Double number(JsonNode parent, String field, String param, double min, double max) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isNumber()) throw wrongType(param, "a number", n);
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) throw badValue(param, v + " is outside [" + fmt(min) + ", " + fmt(max) + "].");
        return v;
    }

    static Integer integer(JsonNode parent, String field, String param, long min, long max) {
        Long v = longValue(parent, field, param, min, max);
        return v == null ? null : Math.toIntExact(v);
    }

    static Long longValue(JsonNode parent, String field, String param, long min, long max) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(param, "an integer", n);
        long v = n.longValue();
        if (v < min || v > max) throw badValue(param, v + " is outside [" + min + ", " + max + "].");
        return v;
    }

    /** OpenAI's {@code stop}: a string or an array of up to 4 strings, none empty. */
    static List<String> stop(JsonNode parent, String param) {
        JsonNode n = parent.get("stop");
        if (n == null || n.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.textValue());
        } else if (n.isArray()) {
            if (n.size() > 4) throw badValue(param, "at most 4 stop sequences, got " + n.size() + ".");
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isTextual()) throw wrongType(param + "[" + i + "]", "a string", n.get(i));
                out.add(n.get(i).textValue());
            }
        } else {
            throw wrongType(param, "a string or an array of strings", n);
        }
        for (String s : out) if (s.isEmpty()) throw badValue(param, "a stop sequence must not be empty.");
        return out;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
