package dev.casa.text.model;

/** A forward call would exceed the capacity a {@link DecoderState} was created with; the state is unchanged. */
public class CacheOverflowException extends IllegalStateException {
    public CacheOverflowException(String message) { super(message); }
}
