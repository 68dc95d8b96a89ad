package dev.casa.text.generate;

/**
 * Receives generated text as it is produced; {@code text} is only whole characters (may be empty).
 * A listener can also end the generation: the generator asks {@link #cancelled()} before the first
 * token and after each one, so a cancellation costs at most the token being computed.
 */
@FunctionalInterface
public interface TokenListener {
    void onToken(int tokenId, String text);

    /** True to stop the generation now ({@link StopReason#CANCELLED}); must be cheap. */
    default boolean cancelled() { return false; }

    TokenListener NONE = (id, text) -> { };
}
