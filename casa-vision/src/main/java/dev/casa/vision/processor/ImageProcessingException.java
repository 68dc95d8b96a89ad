package dev.casa.vision.processor;

/**
 * A bad processor config or an image the processor refuses, with a one-line message. An
 * {@link IllegalArgumentException} so that callers treating bad input uniformly (exit status 2) need no
 * new case.
 */
public class ImageProcessingException extends IllegalArgumentException {
    public ImageProcessingException(String message) {
        super(message);
    }

    public ImageProcessingException(String message, Throwable cause) {
        super(message, cause);
    }
}
