package dev.casa.text.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of one JSON object with errors that name the file and the full key path
 * (for example {@code config.json: text_config.hidden_size}).
 */
final class JsonFields {
    private final JsonNode node;
    private final String source;
    private final String prefix;

    JsonFields(JsonNode node, String source, String prefix) {
        this.node = node;
        this.source = source;
        this.prefix = prefix;
    }

    JsonNode node() { return node; }

    String path(String key) { return prefix.isEmpty() ? key : prefix + "." + key; }

    ModelFormatException error(String key, String problem) {
        return new ModelFormatException(source + ": " + path(key) + ": " + problem);
    }

    /** Present and not JSON null. */
    boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    private JsonNode required(String key) {
        if (!has(key)) throw error(key, "missing required key");
        return node.get(key);
    }

    JsonFields object(String key) {
        JsonNode v = required(key);
        if (!v.isObject()) throw error(key, "expected an object, found " + describe(v));
        return new JsonFields(v, source, path(key));
    }

    int requiredInt(String key) { return asInt(key, required(key)); }

    int optInt(String key, int dflt) { return has(key) ? asInt(key, node.get(key)) : dflt; }

    Integer optInteger(String key) { return has(key) ? asInt(key, node.get(key)) : null; }

    int positiveInt(String key) {
        int v = requiredInt(key);
        if (v <= 0) throw error(key, "expected a positive integer, found " + v);
        return v;
    }

    double optDouble(String key, double dflt) {
        if (!has(key)) return dflt;
        JsonNode v = node.get(key);
        if (!v.isNumber()) throw error(key, "expected a number, found " + describe(v));
        return v.doubleValue();
    }

    boolean optBoolean(String key, boolean dflt) {
        if (!has(key)) return dflt;
        JsonNode v = node.get(key);
        if (!v.isBoolean()) throw error(key, "expected true or false, found " + describe(v));
        return v.booleanValue();
    }

    String requiredString(String key) {
        JsonNode v = required(key);
        if (!v.isTextual()) throw error(key, "expected a string, found " + describe(v));
        return v.textValue();
    }

    String optString(String key, String dflt) { return has(key) ? requiredString(key) : dflt; }

    /** An int, or a list of ints (as {@code eos_token_id} may be); empty if absent. */
    List<Integer> intOrIntList(String key) {
        List<Integer> out = new ArrayList<>();
        if (!has(key)) return out;
        JsonNode v = node.get(key);
        if (v.isArray()) {
            for (JsonNode e : v) out.add(asInt(key, e));
        } else {
            out.add(asInt(key, v));
        }
        return List.copyOf(out);
    }

    int[] optIntArray(String key) {
        if (!has(key)) return new int[0];
        JsonNode v = node.get(key);
        if (!v.isArray()) throw error(key, "expected a list of integers, found " + describe(v));
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = asInt(key, v.get(i));
        return out;
    }

    private int asInt(String key, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(key, "expected an integer, found " + describe(v));
        }
        return v.intValue();
    }

    static String describe(JsonNode v) {
        String text = v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
}
