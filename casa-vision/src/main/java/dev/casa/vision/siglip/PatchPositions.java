package dev.casa.vision.siglip;

/**
 * Which row of the learned position table each patch of an image takes.
 * <ul>
 *   <li>{@link #plain}: HF {@code SiglipVisionEmbeddings}, {@code position_ids = arange(num_patches)}: the image
 *       has the config's size, patch i takes row i.</li>
 *   <li>{@link #bucketed}: HF {@code Idefics3VisionEmbeddings} (SmolVLM's too): an image of {@code h × w} patches
 *       takes rows on the table's {@code N × N} grid at its fractional coordinates,
 *       {@code bucketize(arange(0, 1 - 1e-6, 1/h), arange(1/N, 1, 1/N), right=True)} per axis. This is not always
 *       the identity even when {@code h = w = N}: float32 rounding repeats a bucket for some N (19, 25, 29, ...).</li>
 * </ul>
 * The float32 values of {@code torch.arange} are reproduced as torch 1.13's CPU kernel computes them (the
 * version of the reference fixtures): the start and step in double; elements in pairs of 8-float vectors (AVX2),
 * each vector from its float base plus {@code i·step} in double; the tail element by element. Checked against
 * torch for every {@code 1 ≤ n ≤ N < 130}.
 */
public final class PatchPositions {
    private static final int VECTOR = 8;

    private PatchPositions() {}

    /** {@code 0 .. g²-1}. */
    public static int[] plain(int grid) {
        int[] ids = new int[grid * grid];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        return ids;
    }

    /** Position ids (row-major) of an image of {@code rows × cols} patches over a table of {@code tableSide²} rows. */
    public static int[] bucketed(int rows, int cols, int tableSide) {
        if (rows < 1 || cols < 1 || tableSide < 1) {
            throw new IllegalArgumentException("need positive sizes, got " + rows + "x" + cols + " over " + tableSide);
        }
        float[] boundaries = torchArange(1.0 / tableSide, 1.0, 1.0 / tableSide);
        int[] h = buckets(coordinates(rows), boundaries);
        int[] w = buckets(coordinates(cols), boundaries);
        int[] ids = new int[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) ids[r * cols + c] = h[r] * tableSide + w[c];
        }
        return ids;
    }

    /** {@code torch.arange(0, 1 - 1e-6, 1 / tensor(n))}: the step is the float32 reciprocal. */
    private static float[] coordinates(int n) {
        float[] f = torchArange(0.0, 1 - 1e-6, 1.0f / n);
        if (f.length != n) throw new IllegalStateException("arange gave " + f.length + " coordinates for " + n + " patches");
        return f;
    }

    /** {@code torch.bucketize(x, boundaries, right=True)}: how many boundaries are ≤ each value. */
    private static int[] buckets(float[] x, float[] boundaries) {
        int[] out = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            int k = 0;
            while (k < boundaries.length && boundaries[k] <= x[i]) k++;
            out[i] = k;
        }
        return out;
    }

    /** float32 {@code torch.arange(start, end, step)} on the CPU (see the class comment). */
    static float[] torchArange(double start, double end, double step) {
        int size = (int) Math.ceil((end - start) / step);
        float[] out = new float[Math.max(size, 0)];
        int vectorEnd = out.length / (2 * VECTOR) * (2 * VECTOR);
        for (int idx = 0; idx < vectorEnd; idx += VECTOR) {
            float base = (float) (start + step * idx);
            for (int i = 0; i < VECTOR; i++) out[idx + i] = (float) (base + i * step);
        }
        for (int idx = vectorEnd; idx < out.length; idx++) out[idx] = (float) (start + step * idx);
        return out;
    }
}
