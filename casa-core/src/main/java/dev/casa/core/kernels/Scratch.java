package dev.casa.core.kernels;

import java.util.Arrays;

/**
 * Per-thread buffers of the matmul kernels, allocated once per thread and reused by every call
 * (fresh memory is slow to touch here, and hot loops must not allocate). The GEMM buffers are
 * only created on a thread's first GEMM, so decode-only threads do not carry them.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    /**
     * The activation rows of a GEMV laid out for a weight format (shared with the workers); grow.
     * One slot per format of a shared-input call ({@link Gemv#runShared}); a plain GEMV uses slot 0.
     */
    private float[][][] prepared = {new float[Gemv.MAX_ROWS][0]};
    /** The work plan of a shared-input GEMV called from this thread; created on first use. */
    private Gemv.SharedPlan sharedPlan;
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
        return prepared(0, rows, size);
    }

    /** As {@link #prepared(int, int)}, for slot {@code slot}: slots are independent buffers, usable at once. */
    float[][] prepared(int slot, int rows, int size) {
        while (prepared.length <= slot) {
            prepared = Arrays.copyOf(prepared, prepared.length + 1);
            prepared[prepared.length - 1] = new float[Gemv.MAX_ROWS][0];
        }
        float[][] p = prepared[slot];
        for (int i = 0; i < rows; i++) {
            if (p[i].length < size) p[i] = new float[size];
        }
        return p;
    }

    /** This thread's shared-input GEMV plan with room for {@code matrices} matrices (the same object each call). */
    Gemv.SharedPlan sharedPlan(int matrices) {
        if (sharedPlan == null) sharedPlan = new Gemv.SharedPlan();
        sharedPlan.ensure(matrices);
        return sharedPlan;
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
