package dev.casa.vision.processor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * Reads preprocessor_config.json files and binds them to config records. Every error becomes one line
 * naming the file and the dotted key, e.g. {@code preprocessor_config.json: size.longest_edge: expected a
 * positive integer, found -3}.
 */
final class ConfigJson {
    /**
     * Strict scalars: HF would crash or misbehave on "14" or 14.5 for a patch size, so they are errors
     * here rather than silently coerced. Unknown keys are ignored (configs carry many we do not use).
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Processor configs are a few hundred bytes; a larger file is not one. */
    static final long MAX_BYTES = 1L << 20;

    private ConfigJson() {}

    /** The file's JSON object. */
    static JsonNode read(Path file) {
        String text;
        try {
            text = dev.casa.core.io.BoundedFiles.readString(file, MAX_BYTES, "preprocessor config");
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new ImageProcessingException(file + ": no such file");
            throw new ImageProcessingException(e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ImageProcessingException(file + ": invalid JSON: " + oneLine(e.getOriginalMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ImageProcessingException(file + ": expected a JSON object");
        }
        return root;
    }

    /** Binds {@code root} (read from {@code file}) to {@code type}. */
    static <T> T bind(Path file, JsonNode root, Class<T> type) {
        try {
            return MAPPER.treeToValue(root, type);
        } catch (JsonMappingException e) {
            String path = dottedPath(e.getPath());
            if (rootCause(e) instanceof BadConfigValue bad) {
                String key = path.isEmpty() ? bad.key : path + "." + bad.key;
                throw new ImageProcessingException(file + ": " + key + ": " + bad.getMessage(), e);
            }
            String found = describe(find(root, e.getPath()));
            throw new ImageProcessingException(file + ": " + (path.isEmpty() ? "(root)" : path) + ": expected "
                    + expected(e) + ", found " + found, e);
        } catch (JsonProcessingException e) {
            throw new ImageProcessingException(file + ": " + oneLine(e.getOriginalMessage()), e);
        }
    }

    /** "size.longest_edge", "image_mean[1]". */
    static String dottedPath(List<JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static JsonNode find(JsonNode root, List<JsonMappingException.Reference> refs) {
        JsonNode n = root;
        for (JsonMappingException.Reference r : refs) {
            if (n == null) {
                return null;
            }
            n = r.getFieldName() != null ? n.get(r.getFieldName()) : n.get(r.getIndex());
        }
        return n;
    }

    private static String expected(JsonMappingException e) {
        Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        if (target == null) {
            // e.g. a number out of range of int: Jackson knows no target type here
            return "an integer in range";
        }
        if (target == Integer.class || target == int.class || target == Long.class || target == long.class) {
            return "an integer";
        }
        if (target == Double.class || target == double.class) {
            return "a number";
        }
        if (target == Boolean.class || target == boolean.class) {
            return "true or false";
        }
        if (target == String.class) {
            return "a string";
        }
        if (Collection.class.isAssignableFrom(target) || target.isArray()) {
            return "a list";
        }
        return "an object";
    }

    /** A short rendering of an offending value for error messages. */
    static String describe(JsonNode n) {
        if (n == null || n.isMissingNode()) {
            return "nothing";
        }
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    private static String oneLine(String s) {
        return s == null ? "unknown error" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
