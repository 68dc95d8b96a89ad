package dev.casa.core.nn;

import dev.casa.core.kernels.RopeStyle;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding as a strategy: which inverse frequency each rotated pair has, and which
 * position axis drives it. One class covers
 * <ul>
 *   <li>1-D RoPE (Llama/Qwen2 rotate-half pairs {@code (k, k+d/2)}, Helium interleaved pairs {@code (2k, 2k+1)}),
 *       with HF's default or llama3-scaled frequencies;</li>
 *   <li>M-RoPE (Qwen2-VL, Qwen2.5-VL): positions are (t, h, w) triples and frequency k reads the axis of
 *       its {@code mrope_section};</li>
 *   <li>the 2-D rotary of the Qwen2-VL vision tower: the first half of the frequencies reads the patch row,
 *       the second half its column.</li>
 * </ul>
 * A forward call first builds a cos/sin table for its rows ({@link #table}), once for all layers, then
 * rotates queries and keys from it ({@link #rotate}). Angles are HF's float32 products
 * {@code (float) position · inv_freq[k]}; cos/sin are of that float angle.
 */
public final class RotaryEmbedding {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private final int headDim;
    private final RopeStyle style;
    private final float[] invFreq;
    private final int[] axisOf;
    private final int axes;

    private RotaryEmbedding(int headDim, RopeStyle style, float[] invFreq, int[] axisOf, int axes) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head_dim, got " + headDim);
        if (invFreq.length != headDim / 2 || axisOf.length != headDim / 2) {
            throw new IllegalArgumentException("need head_dim/2 = " + headDim / 2 + " frequencies, got " + invFreq.length);
        }
        this.headDim = headDim;
        this.style = style;
        this.invFreq = invFreq;
        this.axisOf = axisOf;
        this.axes = axes;
    }

    /** 1-D RoPE over all {@code headDim/2} frequencies {@code invFreq}. */
    public static RotaryEmbedding oneD(int headDim, float[] invFreq, RopeStyle style) {
        return new RotaryEmbedding(headDim, style, invFreq.clone(), new int[headDim / 2], 1);
    }

    /** HF's default frequencies {@code 1 / theta^(2k/dim)} for {@code k < dim/2}, rounded to float. */
    public static float[] defaultInvFreq(int dim, double theta) {
        float[] f = new float[dim / 2];
        for (int k = 0; k < f.length; k++) f[k] = (float) (1.0 / Math.pow(theta, (2.0 * k) / dim));
        return f;
    }

    /**
     * HF's {@code llama3} rope scaling: wavelengths longer than {@code original/lowFreqFactor} are divided
     * by {@code factor}, shorter than {@code original/highFreqFactor} kept, and the band between blended.
     */
    public static float[] llama3InvFreq(int dim, double theta, double factor, double lowFreqFactor,
                                        double highFreqFactor, int originalMaxPositions) {
        float[] f = defaultInvFreq(dim, theta);
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        for (int k = 0; k < f.length; k++) {
            float inv = f[k];
            float wavelen = (float) (2 * Math.PI) / inv;
            float scaled = wavelen > lowWavelen ? (float) (inv / factor) : inv;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium) {
                float smooth = (float) ((originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
                scaled = (float) ((1 - smooth) * scaled / factor + smooth * scaled);
            }
            f[k] = scaled;
        }
        return f;
    }

    /**
     * M-RoPE: the same frequencies, with positions (t, h, w) and frequency k reading the axis whose
     * section contains it ({@code sections} sum to {@code headDim/2}; HF {@code mrope_section}).
     */
    public RotaryEmbedding withSections(int[] sections) {
        int sum = 0;
        for (int s : sections) sum += s;
        if (sum != headDim / 2) {
            throw new IllegalArgumentException("mrope_section " + java.util.Arrays.toString(sections) + " sums to " + sum
                    + ", must be head_dim/2 = " + headDim / 2);
        }
        int[] axis = new int[headDim / 2];
        int k = 0;
        for (int a = 0; a < sections.length; a++) {
            for (int i = 0; i < sections[a]; i++) axis[k++] = a;
        }
        return new RotaryEmbedding(headDim, style, invFreq, axis, sections.length);
    }

    /**
     * The Qwen2-VL / Qwen2.5-VL vision rotary: {@code headDim/4} frequencies of a rotary of dim
     * {@code headDim/2}, applied to the patch row (first quarter of the head's pairs) and then the
     * patch column (second quarter), rotate-half over the whole head. Positions are (row, col) pairs.
     */
    public static RotaryEmbedding vision2d(int headDim, double theta) {
        if (headDim % 4 != 0) throw new IllegalArgumentException("the 2-D vision rotary needs head_dim divisible by 4, got " + headDim);
        float[] base = defaultInvFreq(headDim / 2, theta);
        int quarter = headDim / 4;
        float[] inv = new float[headDim / 2];
        int[] axis = new int[headDim / 2];
        for (int k = 0; k < quarter; k++) {
            inv[k] = base[k];
            inv[quarter + k] = base[k];
            axis[quarter + k] = 1;
        }
        return new RotaryEmbedding(headDim, RopeStyle.HALF, inv, axis, 2);
    }

    public int headDim() { return headDim; }

    /** Position values per row: 1 (plain RoPE), 2 (vision row, column) or 3 (M-RoPE t, h, w). */
    public int axes() { return axes; }

    /** Floats per row in a cos (or sin) table: one per rotated pair. */
    public int tableWidth() { return headDim / 2; }

    /**
     * Fills cos/sin rows {@code [0, rows)} at {@code tableOffset} for rows whose positions are
     * {@code positions[(posOffset + r) * axes() + a]}.
     */
    public void table(int[] positions, int posOffset, int rows, float[] cos, float[] sin, int tableOffset) {
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) {
            int p = (posOffset + r) * axes;
            int t = tableOffset + r * half;
            for (int k = 0; k < half; k++) {
                float angle = (float) positions[p + axisOf[k]] * invFreq[k];
                cos[t + k] = (float) Math.cos(angle);
                sin[t + k] = (float) Math.sin(angle);
            }
        }
    }

    /** Fills one table row for a single 1-D position (all axes equal). */
    public void tableRow(int position, float[] cos, float[] sin, int tableOffset) {
        int half = headDim / 2;
        for (int k = 0; k < half; k++) {
            float angle = (float) position * invFreq[k];
            cos[tableOffset + k] = (float) Math.cos(angle);
            sin[tableOffset + k] = (float) Math.sin(angle);
        }
    }

    /** Rotates {@code heads} consecutive heads at {@code x[offset]} by the table row at {@code tableOffset}. */
    public void rotate(float[] x, int offset, int heads, float[] cos, float[] sin, int tableOffset) {
        for (int h = 0; h < heads; h++) {
            int base = offset + h * headDim;
            if (style == RopeStyle.HALF) rotateHalf(x, base, cos, sin, tableOffset);
            else rotateInterleaved(x, base, cos, sin, tableOffset);
        }
    }

    /** Rotates {@code rows} rows ({@code stride} apart, {@code heads} heads each), row r by table row r. */
    public void rotateRows(float[] x, int offset, int stride, int rows, int heads, float[] cos, float[] sin, int tableOffset) {
        int half = headDim / 2;
        for (int r = 0; r < rows; r++) rotate(x, offset + r * stride, heads, cos, sin, tableOffset + r * half);
    }

    // HF: x·cos + rotate_half(x)·sin, two products and one sum per element, as here (no fused multiply-add).
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
        for (int k = 0; k < headDim / 2; k++) {
            float a = x[base + 2 * k], b = x[base + 2 * k + 1], c = cos[tb + k], s = sin[tb + k];
            x[base + 2 * k] = a * c - b * s;
            x[base + 2 * k + 1] = b * c + a * s;
        }
    }
}
