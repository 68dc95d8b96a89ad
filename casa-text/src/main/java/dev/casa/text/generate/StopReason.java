package dev.casa.text.generate;

/** Why a generation ended. */
public enum StopReason {
    /** A stop token (EOS) was produced. */
    STOP_TOKEN,
    /** {@code maxNewTokens} were produced. */
    MAX_TOKENS,
    /** The KV cache is full. */
    CACHE_FULL
}
