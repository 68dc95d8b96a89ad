package dev.casa.vision.image;

/** An image that cannot be decoded: missing, empty, corrupt, truncated, too large or of an unsupported format. */
public class ImageDecodeException extends RuntimeException {
    public ImageDecodeException(String message) { super(message); }
    public ImageDecodeException(String message, Throwable cause) { super(message, cause); }
}
