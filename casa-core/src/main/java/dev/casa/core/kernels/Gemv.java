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
 * <p>M = 1 streams 4 weight rows at once (4 accumulators, 4 memory streams); M = 2..4 streams 2
 * weight rows against 4 activation rows (8 accumulators). Missing rows are clamped to the last
 * valid one: the redundant work is cheap and keeps each kernel a single straight loop.
 * One kernel per dtype so each loop stays monomorphic for C2.
 */
final class Gemv {
    private Gemv() {}

    static final int MAX_ROWS = 4;

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
        long rowBytes = (long) k * w.dtype().byteSize();
        int x0 = aOffset;
        int x1 = aOffset + Math.min(1, m - 1) * k;
        int x2 = aOffset + Math.min(2, m - 1) * k;
        int x3 = aOffset + Math.min(3, m - 1) * k;
        float[] out = Scratch.get().dots;
        for (int j = n0; j < n1; j += 2) {
            long r0 = j * rowBytes;
            long r1 = Math.min(j + 1, n1 - 1) * rowBytes;
            switch (w.dtype()) {
                case F32 -> dot4x2F32(seg, r0, r1, a, x0, x1, x2, x3, k, out);
                case BF16 -> dot4x2Bf16(seg, r0, r1, a, x0, x1, x2, x3, k, out);
                case F16 -> dot4x2F16(seg, r0, r1, a, x0, x1, x2, x3, k, out);
                default -> throw Widen.unsupported(w);
            }
            for (int r = 0; r < 2 && j + r < n1; r++) {
                float b = bias == null ? 0f : bias[j + r];
                for (int i = 0; i < m; i++) c[cOffset + i * n + j + r] = out[i * 2 + r] + b;
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

    // ---- M = 2..4: four activation rows against 2 weight rows ---------------------------------

    private static void dot4x2F32(MemorySegment w, long r0, long r1, float[] a, int x0, int x1, int x2, int x3,
                                  int k, float[] out) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00,
                s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 4L * i;
            FloatVector w0 = Widen.f32(w, r0 + o);
            FloatVector w1 = Widen.f32(w, r1 + o);
            FloatVector v = FloatVector.fromArray(F, a, x0 + i);
            s00 = w0.fma(v, s00);
            s01 = w1.fma(v, s01);
            v = FloatVector.fromArray(F, a, x1 + i);
            s10 = w0.fma(v, s10);
            s11 = w1.fma(v, s11);
            v = FloatVector.fromArray(F, a, x2 + i);
            s20 = w0.fma(v, s20);
            s21 = w1.fma(v, s21);
            v = FloatVector.fromArray(F, a, x3 + i);
            s30 = w0.fma(v, s30);
            s31 = w1.fma(v, s31);
        }
        finish4x2(s00, s01, s10, s11, s20, s21, s30, s31, out);
        for (int i = vec; i < k; i++) {
            tail4x2(Widen.scalarF32(w, r0, i), Widen.scalarF32(w, r1, i), a, x0, x1, x2, x3, i, out);
        }
    }

    private static void dot4x2Bf16(MemorySegment w, long r0, long r1, float[] a, int x0, int x1, int x2, int x3,
                                   int k, float[] out) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00,
                s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 2L * i;
            FloatVector w0 = Widen.bf16(w, r0 + o);
            FloatVector w1 = Widen.bf16(w, r1 + o);
            FloatVector v = FloatVector.fromArray(F, a, x0 + i);
            s00 = w0.fma(v, s00);
            s01 = w1.fma(v, s01);
            v = FloatVector.fromArray(F, a, x1 + i);
            s10 = w0.fma(v, s10);
            s11 = w1.fma(v, s11);
            v = FloatVector.fromArray(F, a, x2 + i);
            s20 = w0.fma(v, s20);
            s21 = w1.fma(v, s21);
            v = FloatVector.fromArray(F, a, x3 + i);
            s30 = w0.fma(v, s30);
            s31 = w1.fma(v, s31);
        }
        finish4x2(s00, s01, s10, s11, s20, s21, s30, s31, out);
        for (int i = vec; i < k; i++) {
            tail4x2(Widen.scalarBf16(w, r0, i), Widen.scalarBf16(w, r1, i), a, x0, x1, x2, x3, i, out);
        }
    }

    private static void dot4x2F16(MemorySegment w, long r0, long r1, float[] a, int x0, int x1, int x2, int x3,
                                  int k, float[] out) {
        FloatVector s00 = FloatVector.zero(F), s01 = s00, s10 = s00, s11 = s00,
                s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            long o = 2L * i;
            FloatVector w0 = Widen.f16(w, r0 + o);
            FloatVector w1 = Widen.f16(w, r1 + o);
            FloatVector v = FloatVector.fromArray(F, a, x0 + i);
            s00 = w0.fma(v, s00);
            s01 = w1.fma(v, s01);
            v = FloatVector.fromArray(F, a, x1 + i);
            s10 = w0.fma(v, s10);
            s11 = w1.fma(v, s11);
            v = FloatVector.fromArray(F, a, x2 + i);
            s20 = w0.fma(v, s20);
            s21 = w1.fma(v, s21);
            v = FloatVector.fromArray(F, a, x3 + i);
            s30 = w0.fma(v, s30);
            s31 = w1.fma(v, s31);
        }
        finish4x2(s00, s01, s10, s11, s20, s21, s30, s31, out);
        for (int i = vec; i < k; i++) {
            tail4x2(Widen.scalarF16(w, r0, i), Widen.scalarF16(w, r1, i), a, x0, x1, x2, x3, i, out);
        }
    }

    private static void finish4x2(FloatVector s00, FloatVector s01, FloatVector s10, FloatVector s11,
                                  FloatVector s20, FloatVector s21, FloatVector s30, FloatVector s31, float[] out) {
        out[0] = s00.reduceLanes(VectorOperators.ADD);
        out[1] = s01.reduceLanes(VectorOperators.ADD);
        out[2] = s10.reduceLanes(VectorOperators.ADD);
        out[3] = s11.reduceLanes(VectorOperators.ADD);
        out[4] = s20.reduceLanes(VectorOperators.ADD);
        out[5] = s21.reduceLanes(VectorOperators.ADD);
        out[6] = s30.reduceLanes(VectorOperators.ADD);
        out[7] = s31.reduceLanes(VectorOperators.ADD);
    }

    private static void tail4x2(float w0, float w1, float[] a, int x0, int x1, int x2, int x3, int i, float[] out) {
        out[0] += w0 * a[x0 + i];
        out[1] += w1 * a[x0 + i];
        out[2] += w0 * a[x1 + i];
        out[3] += w1 * a[x1 + i];
        out[4] += w0 * a[x2 + i];
        out[5] += w1 * a[x2 + i];
        out[6] += w0 * a[x3 + i];
        out[7] += w1 * a[x3 + i];
    }
}
