package dev.casa.core.safetensors;

/** A safetensors file or sharded index that cannot be read; the message names the file and tensor. */
public class SafetensorsException extends RuntimeException {
    public SafetensorsException(String message) { super(message); }
    public SafetensorsException(String message, Throwable cause) { super(message, cause); }
}
