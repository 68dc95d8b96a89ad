package dev.casa.vision;

/** A vision config or vision/projector weights that do not follow the model format; the message names the key or tensor. */
public class VisionModelException extends dev.casa.core.config.ModelFormatException {
    public VisionModelException(String message) { super(message); }
    public VisionModelException(String message, Throwable cause) { super(message, cause); }
}
