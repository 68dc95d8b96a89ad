package dev.casa.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.casa.core.io.BoundedFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * A JSON config file (config.json, generation_config.json, preprocessor_config.json, ...) read and
 * parsed once, then bound to records with Jackson databind. Unknown keys are ignored (HF configs carry
 * many); a wrong type or a bad value is a {@link ModelFormatException} naming the file and the dotted key.
 * Records check their own values in their compact constructors by throwing {@link ConfigValueException}.
 */
public final class JsonConfig {
    /** Config files are small; a larger one is not a config (or is hostile). */
    public static final long MAX_BYTES = 16L << 20;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private final String source;
    private final JsonNode root;

    private JsonConfig(String source, JsonNode root) {
        this.source = source;
        this.root = root;
    }

    /** Reads and parses {@code file}; a missing file, bad JSON or a non-object is an error naming it. */
    public static JsonConfig read(Path file) {
        return read(file, MAX_BYTES, "config file");
    }

    /** Reads a JSON file of at most {@code maxBytes}; {@code what} names its role in a size or type error. */
    public static JsonConfig read(Path file, long maxBytes, String what) {
        String text;
        try {
            text = BoundedFiles.readString(file, maxBytes, what);
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new ModelFormatException(file + ": file not found", e);
            throw new ModelFormatException(e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses JSON text; {@code source} names it in errors. */
    public static JsonConfig parse(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": expected a JSON object");
        return new JsonConfig(source, root);
    }

    /** A config over an already parsed object (for a sub-object given by the caller). */
    public static JsonConfig of(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new ModelFormatException(source + ": expected a JSON object");
        return new JsonConfig(source, root);
    }

    public String source() { return source; }

    public JsonNode root() { return root; }

    /** True when {@code key} (dotted) is present and not null. */
    public boolean has(String dottedKey) {
        JsonNode n = node(dottedKey);
        return n != null && !n.isNull() && !n.isMissingNode();
    }

    /** The node at a dotted key, or null. */
    public JsonNode node(String dottedKey) {
        JsonNode n = root;
        if (dottedKey.isEmpty()) return n;
        for (String part : dottedKey.split("\\.")) {
            if (n == null || !n.isObject()) return null;
            n = n.get(part);
        }
        return n;
    }

    /** The string at {@code key}, or null when absent; a non-string is an error naming the key. */
    public String string(String dottedKey) {
        JsonNode n = node(dottedKey);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw error(dottedKey, "expected a string, found " + describe(n));
        return n.textValue();
    }

    /** Binds the whole object to {@code type}. */
    public <T> T bind(Class<T> type) {
        return bind("", type);
    }

    /** Binds the object at {@code dottedKey} ("" for the root) to {@code type}; it must be present. */
    public <T> T bind(String dottedKey, Class<T> type) {
        JsonNode n = node(dottedKey);
        if (n == null || n.isNull()) throw error(dottedKey, "missing required key");
        if (!n.isObject()) throw error(dottedKey, "expected an object, found " + describe(n));
        try {
            return MAPPER.treeToValue(n, type);
        } catch (JsonProcessingException e) {
            throw translate(e, dottedKey, n);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source + ": " + (dottedKey.isEmpty() ? "" : dottedKey + ": ") + e.getMessage(), e);
        }
    }

    /**
     * Runs a check that needs more than one record (e.g. CASA layers against the text config's layer
     * count); its {@link ConfigValueException} becomes an error naming this file and {@code prefix.key}.
     */
    public <T> T check(String prefix, java.util.function.Supplier<T> check) {
        try {
            return check.get();
        } catch (ConfigValueException e) {
            throw error(prefix.isEmpty() ? e.key() : prefix + "." + e.key(), e.problem());
        }
    }

    /** An error about {@code dottedKey} of this file. */
    public ModelFormatException error(String dottedKey, String problem) {
        return new ModelFormatException(source + ": " + (dottedKey.isEmpty() ? "" : dottedKey + ": ") + problem);
    }

    private ModelFormatException translate(JsonProcessingException e, String base, JsonNode bound) {
        List<JsonMappingException.Reference> refs = e instanceof JsonMappingException m ? m.getPath() : List.of();
        StringBuilder path = new StringBuilder(base);
        JsonNode at = bound;
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!path.isEmpty()) path.append('.');
                path.append(r.getFieldName());
                at = at == null ? null : at.get(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
                at = at == null ? null : at.get(r.getIndex());
            }
        }
        if (e instanceof ValueInstantiationException vi && vi.getCause() instanceof ConfigValueException cv) {
            String key = path.isEmpty() ? cv.key() : path + "." + cv.key();
            return new ModelFormatException(source + ": " + key + ": " + cv.problem(), e);
        }
        String problem;
        if (e instanceof ValueInstantiationException vi && vi.getCause() != null) {
            problem = vi.getCause().getMessage();
        } else if (e instanceof InvalidFormatException || e instanceof MismatchedInputException mi && mi.getTargetType() != null) {
            Class<?> target = ((MismatchedInputException) e).getTargetType();
            problem = "expected " + describeType(target) + ", found " + (at == null ? "an incompatible value" : describe(at));
        } else if (e.getCause() instanceof com.fasterxml.jackson.core.exc.InputCoercionException
                || String.valueOf(e.getOriginalMessage()).contains("out of range")) {
            problem = "expected an integer in range, found " + (at == null ? "a larger number" : describe(at));
        } else {
            problem = e.getOriginalMessage();
        }
        return new ModelFormatException(source + ": " + (path.isEmpty() ? "" : path + ": ") + problem, e);
    }

    private static String describeType(Class<?> t) {
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "an integer";
        if (t == double.class || t == Double.class || t == float.class || t == Float.class) return "a number";
        if (t == boolean.class || t == Boolean.class) return "true or false";
        if (t == String.class) return "a string";
        if (t.isArray() || List.class.isAssignableFrom(t)) return "a list";
        if (t.isEnum()) return "one of " + java.util.Arrays.toString(t.getEnumConstants());
        return "an object";
    }

    /** A JSON value, shortened for messages. */
    public static String describe(JsonNode v) {
        String text = v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }
}
