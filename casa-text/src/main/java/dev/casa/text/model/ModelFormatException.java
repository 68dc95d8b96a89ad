package dev.casa.text.model;

/**
 * A model directory that does not follow the format: a bad config key, a missing or misshapen
 * tensor. The message names the file, the key or tensor, what was expected and what was found.
 */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) { super(message); }
    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
