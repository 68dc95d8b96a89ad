package dev.casa.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding. Frequencies and angles follow HF in float32:
 * {@code inv_freq[k] = 1 / theta^(2k/headDim)} rounded to float, {@code angle = (float) position · inv_freq[k]},
 * then cos/sin of that float angle. The rotation is HF's {@code x·cos + rotate_half(x)·sin} with the same
 * float roundings (two products, one sum).
 *
 * <p>cos/sin tables are built on demand for positions below {@code maxCachedPositions} (grown by
 * doubling, published through a volatile field, so concurrent callers are safe); later positions are
 * computed per call without allocating. Layout per position: HALF keeps {@code headDim/2} cos and sin;
 * INTERLEAVED keeps {@code headDim} values laid out like the head, cos repeated per pair and sin signed
 * (−sin, +sin), so a head is {@code x·cos + swapPairs(x)·sin}.
 */
public final class Rope {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Swaps the two floats of every pair: lanes (1, 0, 3, 2, ...). */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(S, i -> i ^ 1);
    private static final int DEFAULT_MAX_CACHED = 4096;

    private final int headDim;
    private final RopeStyle style;
    private final float[] invFreq;
    private final int maxCachedPositions;
    /** Floats per position in the tables. */
    private final int width;
    private volatile Tables tables = new Tables(new float[0], new float[0], 0);

    private record Tables(float[] cos, float[] sin, int positions) {}

    public Rope(int headDim, double theta, RopeStyle style) {
        this(headDim, theta, style, DEFAULT_MAX_CACHED);
    }

    /** @param maxCachedPositions positions whose cos/sin are kept in tables (0: always compute) */
    public Rope(int headDim, double theta, RopeStyle style, int maxCachedPositions) {
        if (headDim % 2 != 0 || headDim < 2) throw new IllegalArgumentException("RoPE needs an even head_dim, got " + headDim);
        if (!(theta > 1)) throw new IllegalArgumentException("rope_theta must be > 1, got " + theta);
        if (maxCachedPositions < 0) throw new IllegalArgumentException("maxCachedPositions < 0: " + maxCachedPositions);
        this.headDim = headDim;
        this.style = style;
        this.maxCachedPositions = maxCachedPositions;
        this.width = style == RopeStyle.INTERLEAVED ? headDim : headDim / 2;
        this.invFreq = new float[headDim / 2];
        for (int k = 0; k < headDim / 2; k++) {
            invFreq[k] = (float) (1.0 / Math.pow(theta, (2.0 * k) / headDim));
        }
    }

    public int headDim() { return headDim; }

    public RopeStyle style() { return style; }

    /** Rotates {@code heads} consecutive heads of {@code headDim} floats starting at {@code offset}, all at {@code position}. */
    public void apply(float[] x, int offset, int heads, int position) {
        if (position < 0) throw new IllegalArgumentException("negative RoPE position " + position);
        if (position >= maxCachedPositions) {
            for (int h = 0; h < heads; h++) applyDirect(x, offset + h * headDim, position);
            return;
        }
        Tables t = tables(position);
        int tb = position * width;
        for (int h = 0; h < heads; h++) {
            if (style == RopeStyle.HALF) {
                rotateHalf(x, offset + h * headDim, t.cos, t.sin, tb);
            } else {
                rotateInterleaved(x, offset + h * headDim, t.cos, t.sin, tb);
            }
        }
    }

    /**
     * Rotates {@code tokens} rows, row t starting at {@code offset + t·stride} with {@code heads}
     * heads, at positions {@code startPosition + t}.
     */
    public void apply(float[] x, int offset, int stride, int tokens, int heads, int startPosition) {
        for (int t = 0; t < tokens; t++) apply(x, offset + t * stride, heads, startPosition + t);
    }

    private void rotateHalf(float[] x, int base, float[] cos, float[] sin, int tb) {
        int half = headDim / 2, k = 0;
        for (int bound = S.loopBound(half); k < bound; k += L) {
            FloatVector a = FloatVector.fromArray(S, x, base + k);
            FloatVector b = FloatVector.fromArray(S, x, base + half + k);
            FloatVector c = FloatVector.fromArray(S, cos, tb + k);
            FloatVector s = FloatVector.fromArray(S, sin, tb + k);
            a.mul(c).sub(b.mul(s)).intoArray(x, base + k);
            b.mul(c).add(a.mul(s)).intoArray(x, base + half + k);
        }
        for (; k < half; k++) {
            float a = x[base + k], b = x[base + half + k], c = cos[tb + k], s = sin[tb + k];
            x[base + k] = a * c - b * s;
            x[base + half + k] = b * c + a * s;
        }
    }

    private void rotateInterleaved(float[] x, int base, float[] cos, float[] sin, int tb) {
        int d = 0;
        for (int bound = S.loopBound(headDim); d < bound; d += L) {
            FloatVector v = FloatVector.fromArray(S, x, base + d);
            FloatVector c = FloatVector.fromArray(S, cos, tb + d);
            FloatVector s = FloatVector.fromArray(S, sin, tb + d);   // (−sin, +sin) per pair
            v.mul(c).add(v.rearrange(SWAP_PAIRS).mul(s)).intoArray(x, base + d);
        }
        for (; d < headDim; d += 2) {
            float a = x[base + d], b = x[base + d + 1], c = cos[tb + d], s = sin[tb + d + 1];
            x[base + d] = a * c - b * s;
            x[base + d + 1] = b * c + a * s;
        }
    }

    /** Position beyond the tables: cos/sin computed pair by pair. */
    private void applyDirect(float[] x, int base, int position) {
        int half = headDim / 2;
        for (int k = 0; k < half; k++) {
            float angle = position * invFreq[k];
            float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
            int a = style == RopeStyle.INTERLEAVED ? base + 2 * k : base + k;
            int b = style == RopeStyle.INTERLEAVED ? a + 1 : a + half;
            float x0 = x[a], x1 = x[b];
            x[a] = x0 * c - x1 * s;
            x[b] = x1 * c + x0 * s;
        }
    }

    /** Tables covering {@code position}, grown (by doubling, capped) when needed. */
    private Tables tables(int position) {
        Tables t = tables;
        if (position < t.positions) return t;
        synchronized (this) {
            t = tables;
            if (position < t.positions) return t;
            int n = Math.min(maxCachedPositions, Math.max(position + 1, Math.max(64, 2 * t.positions)));
            float[] cos = java.util.Arrays.copyOf(t.cos, n * width);
            float[] sin = java.util.Arrays.copyOf(t.sin, n * width);
            for (int p = t.positions; p < n; p++) {
                for (int k = 0; k < headDim / 2; k++) {
                    float angle = p * invFreq[k];
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    if (style == RopeStyle.HALF) {
                        cos[p * width + k] = c;
                        sin[p * width + k] = s;
                    } else {
                        cos[p * width + 2 * k] = c;
                        cos[p * width + 2 * k + 1] = c;
                        sin[p * width + 2 * k] = -s;
                        sin[p * width + 2 * k + 1] = s;
                    }
                }
            }
            t = new Tables(cos, sin, n);
            tables = t;
            return t;
        }
    }
}
