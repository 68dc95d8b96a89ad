package dev.casa.vision.processor;

import dev.casa.core.config.ConfigValueException;

/**
 * Thrown by config records for a value Jackson could bind but HF would reject; {@code key} is relative to
 * the JSON object being built (casa-core's {@link ConfigValueException}, which names file and dotted key).
 */
final class BadConfigValue extends ConfigValueException {
    BadConfigValue(String key, String message) {
        super(key, message);
    }
}
