package dev.casa.core.kernels;

/**
 * Per-thread buffers of the matmul kernels, allocated once per thread and reused by every call
 * (fresh memory is slow to touch here, and hot loops must not allocate). The GEMM buffers are
 * only created on a thread's first GEMM, so decode-only threads do not carry them.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    /** The activation rows of a GEMV laid out for the weight format (shared with the workers); grow. */
    private final float[][] prepared = new float[Gemv.MAX_ROWS][0];
    /** All of A packed for one GEMM called from this thread (shared with the workers); grows. */
    private float[] packedA = new float[0];
    /** Packed block of W: {@code NC} output features in panels of {@code NR}, {@code KC} deep. */
    float[] b;
    /** NR weight row pieces (stride ROW_STRIDE) widened to float32 before they are transposed into {@code b}. */
    float[] row;
    /** Output of an edge micro-tile (fewer than MR rows or NR columns). */
    float[] tile;

    /** A buffer of at least {@code size} floats, kept for the next call (activations repeat sizes). */
    float[] packedA(int size) {
        if (packedA.length < size) packedA = new float[size];
        return packedA;
    }

    /** {@code rows} buffers of at least {@code size} floats (the same array object each call). */
    float[][] prepared(int rows, int size) {
        for (int i = 0; i < rows; i++) {
            if (prepared[i].length < size) prepared[i] = new float[size];
        }
        return prepared;
    }

    static Scratch get() { return PER_THREAD.get(); }

    static Scratch forGemm() {
        Scratch s = PER_THREAD.get();
        if (s.b == null) {
            s.b = new float[Gemm.KC * Gemm.NC];
            s.row = new float[Gemm.NR * Gemm.ROW_STRIDE];
            s.tile = new float[Gemm.MR * Gemm.NR];
        }
        return s;
    }
}
