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
    /** Packed block of A: {@code MC} rows in panels of {@code MR}, {@code KC} deep. */
    float[] a;
    /** Packed block of W: {@code NC} output features in panels of {@code NR}, {@code KC} deep. */
    float[] b;
    /** NR weight row pieces (stride KC) widened to float32 before they are transposed into {@code b}. */
    float[] row;
    /** Output of an edge micro-tile (fewer than MR rows or NR columns). */
    float[] tile;

    static Scratch get() { return PER_THREAD.get(); }

    static Scratch forGemm() {
        Scratch s = PER_THREAD.get();
        if (s.a == null) {
            s.a = new float[Gemm.MC * Gemm.KC];
            s.b = new float[Gemm.KC * Gemm.NC];
            s.row = new float[Gemm.NR * Gemm.KC];
            s.tile = new float[Gemm.MR * Gemm.NR];
        }
        return s;
    }
}
