package dev.casa.core.kernels;

import java.util.Arrays;

/**
 * Which keys each query sees: always one contiguous range of keys {@code [keyStart(i), keyEnd(i))}.
 * Two kinds:
 * <ul>
 *   <li><b>prefix + causal</b> ({@link #AttentionMask(int, int)}, {@link #full}, {@link #causal},
 *       {@link #window}): keys {@code [0, prefixKeys)} are seen by every query (the image block of a
 *       CASA window, or all keys for full attention); a key {@code j >= prefixKeys} is seen by query
 *       {@code i} when {@code j - prefixKeys <= causalOffset + i} (causal over the rest);</li>
 *   <li><b>segments</b> ({@link #segments}): variable-length sequences packed into one call, as
 *       FlashAttention's {@code cu_seqlens}: queries and keys are the same tokens, and query {@code i}
 *       of segment s ({@code cu[s] <= i < cu[s+1]}) sees exactly the keys {@code [cu[s], cu[s+1])}
 *       (vision towers: one segment per image or per attention window). No query × key mask is built.</li>
 * </ul>
 * Immutable.
 */
public final class AttentionMask {
    private final int prefixKeys;
    private final int causalOffset;
    /** cu_seqlens of a segment mask, or null. */
    private final int[] segments;

    /** A prefix + causal mask (see the class comment). */
    public AttentionMask(int prefixKeys, int causalOffset) {
        this.prefixKeys = prefixKeys;
        this.causalOffset = causalOffset;
        this.segments = null;
    }

    private AttentionMask(int[] segments) {
        this.prefixKeys = 0;
        this.causalOffset = 0;
        this.segments = segments;
    }

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

    /**
     * Packed variable-length sequences: {@code cuSeqlens} are the cumulative boundaries
     * {@code [0, n0, n0+n1, ..., total]} (HF / FlashAttention {@code cu_seqlens}); query i of segment s
     * sees keys {@code [cu[s], cu[s+1])}. Empty segments (repeated boundaries) are allowed. The call
     * using it must have {@code numQueries == numKeys == cu[last]}. The array is copied.
     */
    public static AttentionMask segments(int[] cuSeqlens) {
        if (cuSeqlens == null || cuSeqlens.length == 0) {
            throw new IllegalArgumentException("cu_seqlens must hold at least the leading 0");
        }
        if (cuSeqlens[0] != 0) throw new IllegalArgumentException("cu_seqlens must start at 0, got " + cuSeqlens[0]);
        for (int s = 1; s < cuSeqlens.length; s++) {
            if (cuSeqlens[s] < cuSeqlens[s - 1]) {
                throw new IllegalArgumentException("cu_seqlens must be non-decreasing, got " + cuSeqlens[s - 1]
                        + " then " + cuSeqlens[s] + " at index " + s);
            }
        }
        return new AttentionMask(cuSeqlens.clone());
    }

    /** Keys seen by every query (prefix + causal masks; 0 for a segment mask). */
    public int prefixKeys() { return prefixKeys; }

    /** Causal offset (prefix + causal masks; 0 for a segment mask). */
    public int causalOffset() { return causalOffset; }

    /** True for a {@link #segments} mask. */
    public boolean isSegmented() { return segments != null; }

    /** Number of segments (0 for a prefix + causal mask). */
    public int segmentCount() { return segments == null ? 0 : segments.length - 1; }

    /** Boundary {@code s} of a segment mask: segment s is {@code [boundary(s), boundary(s+1))}. */
    public int boundary(int s) {
        if (segments == null) throw new IllegalStateException("not a segment mask");
        return segments[s];
    }

    /** Total tokens of a segment mask ({@code cu[last]}). */
    public int segmentTokens() {
        if (segments == null) throw new IllegalStateException("not a segment mask");
        return segments[segments.length - 1];
    }

    /** The segment holding query {@code i} (the last of equal boundaries), for a segment mask. */
    int segmentOf(int i) {
        int lo = 0, hi = segments.length - 2;   // find the largest s with cu[s] <= i
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments[mid] <= i) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /** First key query {@code i} sees. */
    public int keyStart(int i) {
        return segments == null ? 0 : segments[segmentOf(i)];
    }

    /** End (exclusive) of the keys query {@code i} sees, given {@code numKeys} keys in total. */
    public int keyEnd(int i, int numKeys) {
        if (segments != null) return Math.min(numKeys, segments[segmentOf(i) + 1]);
        long causal = (long) causalOffset + i + 1;
        return (int) Math.min(numKeys, prefixKeys + Math.max(0, causal));
    }

    /** Number of keys query {@code i} sees, given {@code numKeys} keys in total. */
    public int visibleKeys(int i, int numKeys) {
        return Math.max(0, keyEnd(i, numKeys) - keyStart(i));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionMask m && m.prefixKeys == prefixKeys && m.causalOffset == causalOffset
                && Arrays.equals(m.segments, segments);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * prefixKeys + causalOffset) + Arrays.hashCode(segments);
    }

    @Override
    public String toString() {
        return segments == null
                ? "AttentionMask[prefixKeys=" + prefixKeys + ", causalOffset=" + causalOffset + "]"
                : "AttentionMask[segments=" + (segments.length <= 12 ? Arrays.toString(segments)
                        : segmentCount() + " segments over " + segmentTokens() + " tokens") + "]";
    }
}
