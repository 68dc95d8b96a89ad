package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.casa.core.kernels.Widen.F;
import static dev.casa.core.kernels.Widen.LANES;

/**
 * {@code C = A·Wᵀ (+bias)} for 1 to {@link #MAX_ROWS} rows of A (decode). Memory-bound: every
 * weight is read once, straight from its segment, widened in registers and used for every row
 * of A. Threads claim contiguous ranges of output features (rows of W) from a shared counter.
 *
 * <p>M = 1 streams 4 weight rows at once (4 accumulators, 4 memory streams: fewer streams
 * measured far below bandwidth). M = 2..4 runs pairs of activation rows against the same 4 weight
 * rows (8 accumulators), K in chunks so the second pair finds the weights in cache. Missing rows
 * are clamped to the last valid one: the redundant work is cheap and keeps each kernel one loop.
 * One kernel per dtype so each loop stays monomorphic for C2.
 */
final class Gemv {
    private Gemv() {}

    static final int MAX_ROWS = 4;
    /** Inputs per pass for M = 2..4: 4 weight row pieces (≤ 16 KB) stay in cache for the second row pair. */
    private static final int K_CHUNK = 1024;

    static void run(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        // ~8 row ranges per thread, claimed dynamically: a preempted thread does not hold up the call.
        // Never so small that waking a thread costs more than the work (16 K weights per range).
        long perRange = Math.max(16384L / Math.max(1, w.cols()), (n + pool.threads() * 8L - 1) / (pool.threads() * 8L));
        int rows = (int) Math.min(n, (perRange + 3) / 4 * 4);
        int ranges = (n + rows - 1) / rows;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(pool.threads(), ranges), (chunk, cs) -> {
            for (int r; (r = next.getAndIncrement()) < ranges; ) {
                int n0 = r * rows, n1 = Math.min(n, n0 + rows);
                if (m == 1) rows1(a, aOffset, w, bias, c, cOffset, n0, n1);
                else rowsUpTo4(a, aOffset, m, w, bias, c, cOffset, n0, n1);
            }
        });
    }

    private static void rows1(float[] a, int aOffset, Tensor w, float[] bias, float[] c, int cOffset, int n0, int n1) {
        int k = w.cols();
        MemorySegment seg = w.data();
        long rowBytes = (long) k * w.dtype().byteSize();
        float[] out = Scratch.get().dots;
        for (int j = n0; j < n1; j += 4) {
            int last = n1 - 1;
            long r0 = j * rowBytes;
            long r1 = Math.min(j + 1, last) * rowBytes;
            long r2 = Math.min(j + 2, last) * rowBytes;
            long r3 = Math.min(j + 3, last) * rowBytes;
            switch (w.dtype()) {
                case F32 -> dot1x4F32(seg, r0, r1, r2, r3, a, aOffset, k, out);
                case BF16 -> dot1x4Bf16(seg, r0, r1, r2, r3, a, aOffset, k, out);
                case F16 -> dot1x4F16(seg, r0, r1, r2, r3, a, aOffset, k, out);
                default -> throw Widen.unsupported(w);
            }
            for (int r = 0; r < 4 && j + r < n1; r++) {
                c[cOffset + j + r] = bias == null ? out[r] : out[r] + bias[j + r];
            }
        }
    }

    private static void rowsUpTo4(float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset,
                                  int n0, int n1) {
        int k = w.cols();
        int n = w.rows();
        MemorySegment seg = w.data();
        int bytes = w.dtype().byteSize();
        long rowBytes = (long) k * bytes;
        float[] out = Scratch.get().dots;
        // K in chunks: the second pair of activation rows re-reads the 4 weight row pieces from cache.
        for (int k0 = 0; k0 < k; k0 += K_CHUNK) {
            int kc = Math.min(K_CHUNK, k - k0);
            for (int j = n0; j < n1; j += 4) {
                int last = n1 - 1;
                long off = (long) k0 * bytes;
                long r0 = j * rowBytes + off;
                long r1 = Math.min(j + 1, last) * rowBytes + off;
                long r2 = Math.min(j + 2, last) * rowBytes + off;
                long r3 = Math.min(j + 3, last) * rowBytes + off;
                for (int p = 0; p < m; p += 2) {
                    int xa = aOffset + p * k + k0;
                    int xb = aOffset + Math.min(p + 1, m - 1) * k + k0;
                    switch (w.dtype()) {
                        case F32 -> dot2x4F32(seg, r0, r1, r2, r3, a, xa, xb, kc, out);
                        case BF16 -> dot2x4Bf16(seg, r0, r1, r2, r3, a, xa, xb, kc, out);
                        case F16 -> dot2x4F16(seg, r0, r1, r2, r3, a, xa, xb, kc, out);
                        default -> throw Widen.unsupported(w);
                    }
                    for (int i = p; i < Math.min(p + 2, m); i++) {
                        for (int q = 0; q < 4 && j + q < n1; q++) {
                            float v = out[(i - p) * 4 + q];
                            int at = cOffset + i * n + j + q;
                            c[at] = k0 > 0 ? c[at] + v : bias == null ? v : v + bias[j + q];
                        }
                    }
                }
            }
        }
    }

    // ---- M = 1: one activation row against 4 weight rows -------------------------------------

    private static void dot1x4F32(MemorySegment w, long r0, long r1, long r2, long r3,
                                  float[] a, int x, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, a, x + i);
            long o = 4L * i;
            s0 = Widen.f32(w, r0 + o).fma(v, s0);
            s1 = Widen.f32(w, r1 + o).fma(v, s1);
            s2 = Widen.f32(w, r2 + o).fma(v, s2);
            s3 = Widen.f32(w, r3 + o).fma(v, s3);
        }
        finish1x4(s0, s1, s2, s3, out);
        for (int i = vec; i < k; i++) {
            float v = a[x + i];
            out[0] += Widen.scalarF32(w, r0, i) * v;
            out[1] += Widen.scalarF32(w, r1, i) * v;
            out[2] += Widen.scalarF32(w, r2, i) * v;
            out[3] += Widen.scalarF32(w, r3, i) * v;
        }
    }

    private static void dot1x4Bf16(MemorySegment w, long r0, long r1, long r2, long r3,
                                   float[] a, int x, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, a, x + i);
            long o = 2L * i;
            s0 = Widen.bf16(w, r0 + o).fma(v, s0);
            s1 = Widen.bf16(w, r1 + o).fma(v, s1);
            s2 = Widen.bf16(w, r2 + o).fma(v, s2);
            s3 = Widen.bf16(w, r3 + o).fma(v, s3);
        }
        finish1x4(s0, s1, s2, s3, out);
        for (int i = vec; i < k; i++) {
            float v = a[x + i];
            out[0] += Widen.scalarBf16(w, r0, i) * v;
            out[1] += Widen.scalarBf16(w, r1, i) * v;
            out[2] += Widen.scalarBf16(w, r2, i) * v;
            out[3] += Widen.scalarBf16(w, r3, i) * v;
        }
    }

    private static void dot1x4F16(MemorySegment w, long r0, long r1, long r2, long r3,
                                  float[] a, int x, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, a, x + i);
            long o = 2L * i;
            s0 = Widen.f16(w, r0 + o).fma(v, s0);
            s1 = Widen.f16(w, r1 + o).fma(v, s1);
            s2 = Widen.f16(w, r2 + o).fma(v, s2);
            s3 = Widen.f16(w, r3 + o).fma(v, s3);
        }
        finish1x4(s0, s1, s2, s3, out);
        for (int i = vec; i < k; i++) {
            float v = a[x + i];
            out[0] += Widen.scalarF16(w, r0, i) * v;
            out[1] += Widen.scalarF16(w, r1, i) * v;
            out[2] += Widen.scalarF16(w, r2, i) * v;
            out[3] += Widen.scalarF16(w, r3, i) * v;
        }
    }

    private static void finish1x4(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3, float[] out) {
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
    }

    // ---- M = 2..4: pairs of activation rows against 4 weight rows -----------------------------

    private static void dot2x4F32(MemorySegment w, long r0, long r1, long r2, long r3,
                                   float[] a, int xa, int xb, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 4L * i;
            FloatVector va = FloatVector.fromArray(F, a, xa + i);
            FloatVector vb = FloatVector.fromArray(F, a, xb + i);
            FloatVector w0 = Widen.f32(w, r0 + o);
            s0 = w0.fma(va, s0);
            t0 = w0.fma(vb, t0);
            FloatVector w1 = Widen.f32(w, r1 + o);
            s1 = w1.fma(va, s1);
            t1 = w1.fma(vb, t1);
            FloatVector w2 = Widen.f32(w, r2 + o);
            s2 = w2.fma(va, s2);
            t2 = w2.fma(vb, t2);
            FloatVector w3 = Widen.f32(w, r3 + o);
            s3 = w3.fma(va, s3);
            t3 = w3.fma(vb, t3);
        }
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
        out[4] = t0.reduceLanes(VectorOperators.ADD);
        out[5] = t1.reduceLanes(VectorOperators.ADD);
        out[6] = t2.reduceLanes(VectorOperators.ADD);
        out[7] = t3.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < k; i++) {
            float va = a[xa + i], vb = a[xb + i];
            float w0 = Widen.scalarF32(w, r0, i), w1 = Widen.scalarF32(w, r1, i);
            float w2 = Widen.scalarF32(w, r2, i), w3 = Widen.scalarF32(w, r3, i);
            out[0] += w0 * va;
            out[1] += w1 * va;
            out[2] += w2 * va;
            out[3] += w3 * va;
            out[4] += w0 * vb;
            out[5] += w1 * vb;
            out[6] += w2 * vb;
            out[7] += w3 * vb;
        }
    }

    private static void dot2x4Bf16(MemorySegment w, long r0, long r1, long r2, long r3,
                                   float[] a, int xa, int xb, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 2L * i;
            FloatVector va = FloatVector.fromArray(F, a, xa + i);
            FloatVector vb = FloatVector.fromArray(F, a, xb + i);
            FloatVector w0 = Widen.bf16(w, r0 + o);
            s0 = w0.fma(va, s0);
            t0 = w0.fma(vb, t0);
            FloatVector w1 = Widen.bf16(w, r1 + o);
            s1 = w1.fma(va, s1);
            t1 = w1.fma(vb, t1);
            FloatVector w2 = Widen.bf16(w, r2 + o);
            s2 = w2.fma(va, s2);
            t2 = w2.fma(vb, t2);
            FloatVector w3 = Widen.bf16(w, r3 + o);
            s3 = w3.fma(va, s3);
            t3 = w3.fma(vb, t3);
        }
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
        out[4] = t0.reduceLanes(VectorOperators.ADD);
        out[5] = t1.reduceLanes(VectorOperators.ADD);
        out[6] = t2.reduceLanes(VectorOperators.ADD);
        out[7] = t3.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < k; i++) {
            float va = a[xa + i], vb = a[xb + i];
            float w0 = Widen.scalarBf16(w, r0, i), w1 = Widen.scalarBf16(w, r1, i);
            float w2 = Widen.scalarBf16(w, r2, i), w3 = Widen.scalarBf16(w, r3, i);
            out[0] += w0 * va;
            out[1] += w1 * va;
            out[2] += w2 * va;
            out[3] += w3 * va;
            out[4] += w0 * vb;
            out[5] += w1 * vb;
            out[6] += w2 * vb;
            out[7] += w3 * vb;
        }
    }

    private static void dot2x4F16(MemorySegment w, long r0, long r1, long r2, long r3,
                                   float[] a, int xa, int xb, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 2L * i;
            FloatVector va = FloatVector.fromArray(F, a, xa + i);
            FloatVector vb = FloatVector.fromArray(F, a, xb + i);
            FloatVector w0 = Widen.f16(w, r0 + o);
            s0 = w0.fma(va, s0);
            t0 = w0.fma(vb, t0);
            FloatVector w1 = Widen.f16(w, r1 + o);
            s1 = w1.fma(va, s1);
            t1 = w1.fma(vb, t1);
            FloatVector w2 = Widen.f16(w, r2 + o);
            s2 = w2.fma(va, s2);
            t2 = w2.fma(vb, t2);
            FloatVector w3 = Widen.f16(w, r3 + o);
            s3 = w3.fma(va, s3);
            t3 = w3.fma(vb, t3);
        }
        out[0] = s0.reduceLanes(VectorOperators.ADD);
        out[1] = s1.reduceLanes(VectorOperators.ADD);
        out[2] = s2.reduceLanes(VectorOperators.ADD);
        out[3] = s3.reduceLanes(VectorOperators.ADD);
        out[4] = t0.reduceLanes(VectorOperators.ADD);
        out[5] = t1.reduceLanes(VectorOperators.ADD);
        out[6] = t2.reduceLanes(VectorOperators.ADD);
        out[7] = t3.reduceLanes(VectorOperators.ADD);
        for (int i = vec; i < k; i++) {
            float va = a[xa + i], vb = a[xb + i];
            float w0 = Widen.scalarF16(w, r0, i), w1 = Widen.scalarF16(w, r1, i);
            float w2 = Widen.scalarF16(w, r2, i), w3 = Widen.scalarF16(w, r3, i);
            out[0] += w0 * va;
            out[1] += w1 * va;
            out[2] += w2 * va;
            out[3] += w3 * va;
            out[4] += w0 * vb;
            out[5] += w1 * vb;
            out[6] += w2 * vb;
            out[7] += w3 * vb;
        }
    }
}
