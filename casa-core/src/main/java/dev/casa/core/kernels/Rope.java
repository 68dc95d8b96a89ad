package dev.casa.core.kernels;

/**
 * Rotary position embedding with precomputed cos/sin tables. Frequencies follow HF:
 * {@code inv_freq[k] = 1 / theta^(2k/headDim)} in float32, angle = position · inv_freq[k].
 */
public final class Rope {
    private final int headDim;
    private final RopeStyle style;
    private final float[] invFreq;

    public Rope(int headDim, double theta, RopeStyle style) {
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head_dim, got " + headDim);
        this.headDim = headDim;
        this.style = style;
        this.invFreq = new float[headDim / 2];
        for (int k = 0; k < headDim / 2; k++) {
            invFreq[k] = (float) (1.0 / Math.pow(theta, (2.0 * k) / headDim));
        }
    }

    public int headDim() { return headDim; }

    public RopeStyle style() { return style; }

    /**
     * Rotates {@code heads} consecutive heads of {@code headDim} floats starting at {@code offset},
     * all at {@code position}. TODO(foundation): cache tables, vectorize.
     */
    public void apply(float[] x, int offset, int heads, int position) {
        int half = headDim / 2;
        for (int k = 0; k < half; k++) {
            float angle = position * invFreq[k];
            float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int base = offset + h * headDim;
                int a = style == RopeStyle.INTERLEAVED ? base + 2 * k : base + k;
                int b = style == RopeStyle.INTERLEAVED ? a + 1 : a + half;
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * cos - x1 * sin;
                x[b] = x1 * cos + x0 * sin;
            }
        }
    }
}
