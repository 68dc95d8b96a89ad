package dev.casa.text.lm;

/** A forward call would exceed the capacity a {@link DecoderState} was created with; the state is unchanged. */
public class CacheOverflowException extends IllegalStateException {
    public CacheOverflowException(String message) { super(message); }
}
