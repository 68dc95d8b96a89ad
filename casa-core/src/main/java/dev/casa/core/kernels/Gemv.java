package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code C = A·Wᵀ (+bias)} for 1 to {@link #MAX_ROWS} rows of A (decode). Memory-bound: every
 * weight is read once from DRAM, straight from its segment. Threads claim contiguous ranges of
 * output features (rows of W) from a shared counter.
 *
 * <p>Each weight format brings its own dot kernel ({@link WeightFormat#dotRows}), which widens or
 * dequantizes in registers, on the activation row laid out by {@link WeightFormat#prepare}. With
 * M = 2..4, a thread runs the kernel once per activation row over an L2-sized slice of its rows:
 * the first row streams the slice from DRAM, the others find it in L2. Every row of C is then
 * computed exactly as for M = 1.
 */
final class Gemv {
    private Gemv() {}

    static final int MAX_ROWS = 4;
    /** Row ranges are multiples of this, so no format's row group (2, 4 or 8 rows) straddles two ranges. */
    private static final int ROW_ALIGN = 8;
    /** Weight bytes per slice re-read from L2 by activation rows 2..M (L2 is 512 KB to 1 MB per core). */
    private static final long SLICE_BYTES = 256 << 10;

    static void run(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        int k = w.cols();
        WeightFormat format = w.format();
        // Laid out once on the calling thread, read by every worker.
        float[][] x = Scratch.get().prepared(m, format.preparedLength(k));
        for (int i = 0; i < m; i++) format.prepare(a, aOffset + i * k, k, x[i]);
        // ~8 row ranges per thread, claimed dynamically: a preempted thread does not hold up the call.
        // Never so small that waking a thread costs more than the work (16 K weights per range).
        long perRange = Math.max(16384L / Math.max(1, k), (n + pool.threads() * 8L - 1) / (pool.threads() * 8L));
        int rows = (int) Math.min(n, (perRange + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN);
        int ranges = (n + rows - 1) / rows;
        long rowBytes = format.rowBytes(k);
        int slice = m == 1 ? rows : (int) Math.max(ROW_ALIGN, SLICE_BYTES / rowBytes / ROW_ALIGN * ROW_ALIGN);
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(pool.threads(), ranges), (chunk, cs) -> {
            for (int r; (r = next.getAndIncrement()) < ranges; ) {
                int n1 = Math.min(n, r * rows + rows);
                for (int s0 = r * rows; s0 < n1; s0 += slice) {
                    int s1 = Math.min(n1, s0 + slice);
                    for (int i = 0; i < m; i++) {
                        int row = cOffset + i * n;
                        format.dotRows(w.data(), k, s0, s1, x[i], c, row);
                        if (bias != null) for (int j = s0; j < s1; j++) c[row + j] += bias[j];
                    }
                }
            }
        });
    }
}
