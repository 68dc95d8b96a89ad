package dev.casa.vision.processor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import java.nio.file.Path;

/**
 * Reads preprocessor_config.json files with casa-core's {@link JsonConfig} and binds them to config records,
 * reporting every problem as an {@link ImageProcessingException} naming the file and the dotted key, e.g.
 * {@code preprocessor_config.json: size.longest_edge: expected a positive integer, found -3}.
 */
final class ConfigJson {
    /** Processor configs are a few hundred bytes; a larger file is not one. */
    static final long MAX_BYTES = 1L << 20;

    private ConfigJson() {}

    /** The file, parsed. */
    static JsonConfig read(Path file) {
        try {
            return JsonConfig.read(file, MAX_BYTES, "preprocessor config");
        } catch (ModelFormatException e) {
            throw new ImageProcessingException(e.getMessage(), e);
        }
    }

    /** Binds the whole object to {@code type}. */
    static <T> T bind(JsonConfig config, Class<T> type) {
        try {
            return config.bind(type);
        } catch (ModelFormatException e) {
            throw new ImageProcessingException(e.getMessage(), e);
        }
    }

    /** A short rendering of an offending value for error messages. */
    static String describe(JsonNode n) {
        return n == null || n.isMissingNode() ? "nothing" : JsonConfig.describe(n);
    }
}
