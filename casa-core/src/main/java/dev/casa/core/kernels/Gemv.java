package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.casa.core.kernels.Widen.F;
import static dev.casa.core.kernels.Widen.LANES;

/**
 * {@code C = A·Wᵀ (+bias)} for 1 to {@link #MAX_ROWS} rows of A (decode). Memory-bound: every
 * weight is read once, straight from its segment. Threads claim contiguous ranges of output
 * features (rows of W) from a shared counter.
 *
 * <p>M = 1 runs the weight format's own dot kernel ({@link WeightFormat#dotRows}), which widens or
 * dequantizes in registers, on the activation row laid out by {@link WeightFormat#prepare}.
 * M = 2..4 dequantizes 4 weight rows at a time, K in chunks, into a small float panel (L1) and
 * runs pairs of activation rows against it, so each weight is decoded once for all rows.
 */
final class Gemv {
    private Gemv() {}

    static final int MAX_ROWS = 4;
    /** Inputs per pass for M = 2..4: 4 dequantized row pieces (16 KB) stay in L1 for every row pair. A multiple of 32. */
    private static final int K_CHUNK = 1024;
    /** Row ranges are multiples of this, so no format's row group (2, 4 or 8 rows) straddles two ranges. */
    private static final int ROW_ALIGN = 8;

    static void run(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        int k = w.cols();
        WeightFormat format = w.format();
        float[] x = null;
        if (m == 1) {
            // Laid out once on the calling thread, read by every worker.
            x = Scratch.get().prepared(format.preparedLength(k));
            format.prepare(a, aOffset, k, x);
        }
        // ~8 row ranges per thread, claimed dynamically: a preempted thread does not hold up the call.
        // Never so small that waking a thread costs more than the work (16 K weights per range).
        long perRange = Math.max(16384L / Math.max(1, k), (n + pool.threads() * 8L - 1) / (pool.threads() * 8L));
        int rows = (int) Math.min(n, (perRange + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN);
        int ranges = (n + rows - 1) / rows;
        AtomicInteger next = new AtomicInteger();
        float[] prepared = x;
        pool.runChunks(Math.min(pool.threads(), ranges), (chunk, cs) -> {
            for (int r; (r = next.getAndIncrement()) < ranges; ) {
                int n0 = r * rows, n1 = Math.min(n, n0 + rows);
                if (m == 1) {
                    format.dotRows(w.data(), k, n0, n1, prepared, c, cOffset);
                    if (bias != null) for (int j = n0; j < n1; j++) c[cOffset + j] += bias[j];
                } else {
                    rowsUpTo4(a, aOffset, m, w, bias, c, cOffset, n0, n1);
                }
            }
        });
    }

    private static void rowsUpTo4(float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset,
                                  int n0, int n1) {
        int k = w.cols();
        int n = w.rows();
        WeightFormat format = w.format();
        MemorySegment seg = w.data();
        long rowBytes = format.rowBytes(k);
        Scratch s = Scratch.get();
        float[] panel = s.gemvPanel(4 * K_CHUNK);
        float[] out = s.dots;
        // K in chunks: every pair of activation rows re-reads the 4 dequantized row pieces from L1.
        for (int k0 = 0; k0 < k; k0 += K_CHUNK) {
            int kc = Math.min(K_CHUNK, k - k0);
            long off = format.rowBytes(k0);
            for (int j = n0; j < n1; j += 4) {
                int valid = Math.min(4, n1 - j);
                // Rows past the range keep stale panel values: their results are never stored.
                for (int q = 0; q < valid; q++) format.dequantize(seg, (j + q) * rowBytes + off, kc, panel, q * K_CHUNK);
                for (int p = 0; p < m; p += 2) {
                    int xa = aOffset + p * k + k0;
                    int xb = aOffset + Math.min(p + 1, m - 1) * k + k0;
                    dot2x4(panel, a, xa, xb, kc, out);
                    for (int i = p; i < Math.min(p + 2, m); i++) {
                        for (int q = 0; q < valid; q++) {
                            float v = out[(i - p) * 4 + q];
                            int at = cOffset + i * n + j + q;
                            c[at] = k0 > 0 ? c[at] + v : bias == null ? v : v + bias[j + q];
                        }
                    }
                }
            }
        }
    }

    /** Two activation rows against the 4 panel rows ({@code panel[q*K_CHUNK ..]}): 8 accumulators. */
    private static void dot2x4(float[] panel, float[] a, int xa, int xb, int k, float[] out) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        int vec = k & -LANES;
        for (int i = 0; i < vec; i += LANES) {
            FloatVector va = FloatVector.fromArray(F, a, xa + i);
            FloatVector vb = FloatVector.fromArray(F, a, xb + i);
            FloatVector w0 = FloatVector.fromArray(F, panel, i);
            s0 = w0.fma(va, s0);
            t0 = w0.fma(vb, t0);
            FloatVector w1 = FloatVector.fromArray(F, panel, K_CHUNK + i);
            s1 = w1.fma(va, s1);
            t1 = w1.fma(vb, t1);
            FloatVector w2 = FloatVector.fromArray(F, panel, 2 * K_CHUNK + i);
            s2 = w2.fma(va, s2);
            t2 = w2.fma(vb, t2);
            FloatVector w3 = FloatVector.fromArray(F, panel, 3 * K_CHUNK + i);
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
            float w0 = panel[i], w1 = panel[K_CHUNK + i], w2 = panel[2 * K_CHUNK + i], w3 = panel[3 * K_CHUNK + i];
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
