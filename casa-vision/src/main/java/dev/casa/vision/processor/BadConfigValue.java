package dev.casa.vision.processor;

/**
 * Thrown by config creators for a value Jackson could bind but HF would reject. {@code key} is relative
 * to the JSON object being built; {@link ConfigJson} prefixes the path of that object and the file name.
 */
final class BadConfigValue extends IllegalArgumentException {
    final String key;

    BadConfigValue(String key, String message) {
        super(message);
        this.key = key;
    }
}
