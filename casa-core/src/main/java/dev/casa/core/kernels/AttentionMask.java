package dev.casa.core.kernels;

/**
 * Which keys each query sees. Keys {@code [0, prefixKeys)} are seen by every query (the image
 * block of a CASA window, or all keys for full attention); a key {@code j >= prefixKeys} is seen by
 * query {@code i} when {@code j - prefixKeys <= causalOffset + i} (causal over the rest).
 */
public record AttentionMask(int prefixKeys, int causalOffset) {

    /** Every query sees every key (vision encoder). */
    public static AttentionMask full(int numKeys) { return new AttentionMask(numKeys, 0); }

    /**
     * Causal text attention where the queries are the last {@code numQueries} of {@code numKeys}
     * keys (prefill: equal counts; decode: one query over a cache).
     */
    public static AttentionMask causal(int numKeys, int numQueries) {
        return new AttentionMask(0, numKeys - numQueries);
    }

    /** CASA window: {@code imageKeys} image keys, then causal text keys ending at the last query. */
    public static AttentionMask window(int imageKeys, int textKeys, int numQueries) {
        return new AttentionMask(imageKeys, textKeys - numQueries);
    }

    /** Number of keys query {@code i} sees, given {@code numKeys} keys in total. */
    public int visibleKeys(int i, int numKeys) {
        long causal = (long) causalOffset + i + 1;
        return (int) Math.min(numKeys, prefixKeys + Math.max(0, causal));
    }
}
