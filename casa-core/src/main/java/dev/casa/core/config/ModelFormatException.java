package dev.casa.core.config;

/**
 * A model directory that cannot be used as it is: a missing or malformed file, a bad config value,
 * a missing, extra or mis-shaped tensor. The message names the file and the dotted key or the tensor.
 * The one exception type of model loading, whatever the family.
 */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }

    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
