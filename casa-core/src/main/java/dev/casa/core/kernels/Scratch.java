package dev.casa.core.kernels;

/**
 * Per-thread buffers of the matmul kernels, allocated once per thread and reused by every call
 * (fresh memory is slow to touch here, and hot loops must not allocate). The GEMM buffers are
 * only created on a thread's first GEMM, so decode-only threads do not carry them.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    /** Dot products of one GEMV step. */
    final float[] dots = new float[8];
    /** The activation row of an M = 1 GEMV laid out for the weight format (shared with the workers); grows. */
    private float[] prepared = new float[0];
    /** Dequantized weight row pieces of an M = 2..4 GEMV. */
    private float[] gemvPanel;
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

    float[] prepared(int size) {
        if (prepared.length < size) prepared = new float[size];
        return prepared;
    }

    float[] gemvPanel(int size) {
        if (gemvPanel == null || gemvPanel.length < size) gemvPanel = new float[size];
        return gemvPanel;
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
