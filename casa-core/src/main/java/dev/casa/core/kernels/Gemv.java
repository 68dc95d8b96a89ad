package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;
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
        prepare(format, a, aOffset, m, k, x);
        int rows = rangeRows(pool, n, k);
        int ranges = (n + rows - 1) / rows;
        int slice = sliceRows(m, rows, format, k);
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(pool.threads(), ranges), (chunk, cs) -> {
            for (int r; (r = next.getAndIncrement()) < ranges; ) range(w, r, rows, slice, x, m, bias, c, cOffset);
        });
    }

    /**
     * {@code cs[i] = A·ws[i]ᵀ (+ biases[i])} for every i (all ws of the same K) as one pool call:
     * in decode a small GEMV costs about as much to start and join as to compute, and q/k/v or
     * gate/up read the same A. The rows of A are prepared once per weight format; each matrix is
     * cut into exactly the ranges and slices {@link #run} gives it, so every output has the same
     * bits; the threads claim (matrix, range) items from one counter.
     *
     * @param biases null, or per matrix a bias or null
     */
    static void runShared(ThreadPool pool, float[] a, int aOffset, int m, Tensor[] ws, float[][] biases,
                          float[][] cs, int[] cOffsets) {
        int count = ws.length;
        int k = ws[0].cols();
        Scratch scratch = Scratch.get();
        SharedPlan plan = scratch.sharedPlan(count);
        int[] rows = plan.rows, slice = plan.slice, first = plan.first;
        float[][][] x = plan.x;
        int slots = 0;
        for (int i = 0; i < count; i++) {
            WeightFormat format = ws[i].format();
            x[i] = null;
            for (int j = 0; j < i && x[i] == null; j++) {
                if (ws[j].format() == format) x[i] = x[j];
            }
            if (x[i] == null) {
                x[i] = scratch.prepared(slots++, m, format.preparedLength(k));
                prepare(format, a, aOffset, m, k, x[i]);
            }
            int n = ws[i].rows();
            rows[i] = rangeRows(pool, n, k);
            slice[i] = sliceRows(m, rows[i], format, k);
            first[i + 1] = first[i] + (n + rows[i] - 1) / rows[i];
        }
        int items = first[count];
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(pool.threads(), items), (chunk, chunks) -> {
            int i = 0;
            for (int item; (item = next.getAndIncrement()) < items; ) {
                while (item >= first[i + 1]) i++;   // the items a thread claims only increase
                float[] bias = biases == null ? null : biases[i];
                range(ws[i], item - first[i], rows[i], slice[i], x[i], m, bias, cs[i], cOffsets[i]);
            }
        });
    }

    private static void prepare(WeightFormat format, float[] a, int aOffset, int m, int k, float[][] x) {
        for (int i = 0; i < m; i++) format.prepare(a, aOffset + i * k, k, x[i]);
    }

    /**
     * Output features per range of an N×K matrix (at least 1): ~8 ranges per thread, claimed
     * dynamically, so a preempted thread does not hold up the call; never so small that waking a
     * thread costs more than the work (16 K weights per range).
     */
    private static int rangeRows(ThreadPool pool, int n, int k) {
        long perRange = Math.max(16384L / Math.max(1, k), (n + pool.threads() * 8L - 1) / (pool.threads() * 8L));
        return (int) Math.max(1, Math.min(n, (perRange + ROW_ALIGN - 1) / ROW_ALIGN * ROW_ALIGN));
    }

    /** Output features per L2 slice of a range: the whole range for M = 1. */
    private static int sliceRows(int m, int rows, WeightFormat format, int k) {
        if (m == 1) return rows;
        return (int) Math.max(ROW_ALIGN, SLICE_BYTES / format.rowBytes(k) / ROW_ALIGN * ROW_ALIGN);
    }

    /** Range {@code r} (features {@code [r·rows, r·rows + rows)} of W, cut at N) of C for every row of A. */
    private static void range(Tensor w, int r, int rows, int slice, float[][] x, int m, float[] bias,
                              float[] c, int cOffset) {
        int n = w.rows();
        int k = w.cols();
        WeightFormat format = w.format();
        MemorySegment data = w.data();
        int n1 = Math.min(n, r * rows + rows);
        for (int s0 = r * rows; s0 < n1; s0 += slice) {
            int s1 = Math.min(n1, s0 + slice);
            for (int i = 0; i < m; i++) {
                int row = cOffset + i * n;
                format.dotRows(data, k, s0, s1, x[i], c, row);
                if (bias != null) for (int j = s0; j < s1; j++) c[row + j] += bias[j];
            }
        }
    }

    /**
     * The per-matrix work of a shared-input call, kept per calling thread (see {@link Scratch#sharedPlan}):
     * features per range and per slice, the first work item (item {@code first[i] + r} is range r of
     * matrix i; {@code first[count]} items in all) and the prepared rows of A for the matrix's format.
     */
    static final class SharedPlan {
        int[] rows = new int[0];
        int[] slice = new int[0];
        int[] first = new int[1];
        float[][][] x = new float[0][][];

        void ensure(int matrices) {
            if (rows.length >= matrices) return;
            rows = new int[matrices];
            slice = new int[matrices];
            first = new int[matrices + 1];
            x = new float[matrices][][];
        }
    }
}
