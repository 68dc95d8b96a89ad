package dev.casa.text.generate;

/** Why a generation ended. */
public enum StopReason {
    /** A stop token (EOS) was produced. */
    STOP_TOKEN,
    /** A stop string appeared in the text; the text ends before it. */
    STOP_STRING,
    /** {@code maxNewTokens} were produced. */
    MAX_TOKENS,
    /** The KV cache is full. */
    CACHE_FULL,
    /** The listener asked to stop ({@link TokenListener#cancelled()}), e.g. its client went away. */
    CANCELLED
}
