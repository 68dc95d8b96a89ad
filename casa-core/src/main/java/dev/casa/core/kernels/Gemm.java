package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;

import java.lang.foreign.MemorySegment;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.casa.core.kernels.MicroKernel.ACCUMULATE;
import static dev.casa.core.kernels.MicroKernel.BIAS;
import static dev.casa.core.kernels.MicroKernel.ZERO;
import static dev.casa.core.kernels.Widen.LANES;

/**
 * Cache-blocked, multi-threaded {@code C = A·Wᵀ (+bias)} for M > {@link Gemv#MAX_ROWS} (prefill,
 * vision), after Goto/BLIS:
 * <ol>
 * <li>A is packed once, by all threads, into MR-tall panels per KC block (shared, read-only after);
 * <li>the output is cut into contiguous column blocks (rows too when N is small) that threads
 *     claim one at a time, so a thread the OS preempts does not hold everyone up;
 * <li>per block and KC step, the thread widens and packs its W columns into NR-wide panels
 *     (its own buffer, L2-resident), then runs each MR-row A panel (L1-resident) against all of
 *     them with the {@link MicroKernel}.
 * </ol>
 */
final class Gemm {
    private Gemm() {}

    static final int MR = MicroKernel.MR;
    static final int NR = MicroKernel.NR;
    /** Inner-dimension block: an A panel (MR×KC, 12 KB on AVX-512) stays in L1. Tuned with NC. A multiple of 32 (Q8_0/Q4_0 blocks). */
    static final int KC = 384;
    /** Widest column block a thread claims: its packed W, KC×NC floats (528 KB), stays in L2. Multiple of NR. */
    static final int NC = 352;
    /**
     * Row stride of the widened-rows buffer: KC plus one cache line, so the NR rows read at the
     * same k fall in different L1 sets (with a stride of KC floats, a multiple of 512 bytes, they
     * would crowd a few sets).
     */
    static final int ROW_STRIDE = KC + 16;
    /** A panels per packing work item. */
    private static final int A_PANELS_PER_ITEM = 8;
    /** Column blocks per thread to aim for: enough to rebalance when a thread stalls. */
    private static final int BLOCKS_PER_THREAD = 4;

    static void run(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        int k = w.cols();
        int threads = pool.threads();
        int mPanels = (m + MR - 1) / MR;
        float[] packedA = Scratch.get().packedA(mPanels * MR * k);
        int aGroups = (mPanels + A_PANELS_PER_ITEM - 1) / A_PANELS_PER_ITEM;
        AtomicInteger nextA = new AtomicInteger();
        pool.runChunks(Math.min(threads, aGroups), (chunk, cs) -> {
            for (int g; (g = nextA.getAndIncrement()) < aGroups; ) {
                int r0 = g * A_PANELS_PER_ITEM * MR;
                packA(a, aOffset, m, k, r0, Math.min(m, r0 + A_PANELS_PER_ITEM * MR), packedA);
            }
        });

        int target = threads * BLOCKS_PER_THREAD;
        int colBlock = Math.min(NC, roundUp(Math.max(NR, (n + target - 1) / target), NR));
        int colBlocks = (n + colBlock - 1) / colBlock;
        int rowBlocks = Math.max(1, Math.min(mPanels, target / colBlocks));
        int items = colBlocks * rowBlocks;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(threads, items), (chunk, cs) -> {
            Scratch s = Scratch.forGemm();
            for (int item; (item = next.getAndIncrement()) < items; ) {
                int cb = item / rowBlocks, rb = item % rowBlocks;
                int n0 = cb * colBlock, n1 = Math.min(n, n0 + colBlock);
                int m0 = Math.min(m, mPanels * rb / rowBlocks * MR);
                int m1 = Math.min(m, mPanels * (rb + 1) / rowBlocks * MR);
                if (m0 < m1) block(packedA, m, m0, m1, w, bias, c, cOffset, n0, n1, s);
            }
        });
    }

    private static int roundUp(int x, int multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }

    /** C rows {@code [m0, m1)} (m0 a multiple of MR), columns {@code [n0, n1)}, on the calling thread. */
    private static void block(float[] packedA, int m, int m0, int m1, Tensor w, float[] bias,
                              float[] c, int cOffset, int n0, int n1, Scratch s) {
        int n = w.rows();
        int k = w.cols();
        int mPadded = roundUp(m, MR);
        int nc = n1 - n0;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            packW(w, n0, nc, pc, kc, s.b, s.row);
            int start = pc > 0 ? ACCUMULATE : bias != null ? BIAS : ZERO;
            int aBlock = mPadded * pc; // packed A of this KC block: panel at row r starts at aBlock + r*kc
            // One A panel (MR×kc, L1) against every W panel of the block (nc×kc, L2).
            for (int ir = m0; ir < m1; ir += MR) {
                int mr = Math.min(MR, m1 - ir);
                int aPanel = aBlock + ir * kc;
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = Math.min(NR, nc - jr);
                    int cTile = cOffset + ir * n + n0 + jr;
                    if (mr == MR && nr == NR) {
                        MicroKernel.tile(kc, packedA, aPanel, s.b, jr * kc, c, cTile, n, start, bias, n0 + jr);
                    } else {
                        edgeTile(kc, packedA, aPanel, s, jr * kc, mr, nr, c, cTile, n, start, bias, n0 + jr);
                    }
                }
            }
        }
    }

    /** A partial tile: computed in full into scratch (the packing zero-pads), then the valid part merged. */
    private static void edgeTile(int kc, float[] ap, int aOff, Scratch s, int bOff, int mr, int nr,
                                 float[] c, int cTile, int ldc, int start, float[] bias, int col) {
        float[] t = s.tile;
        MicroKernel.tile(kc, ap, aOff, s.b, bOff, t, 0, NR, ZERO, null, 0);
        for (int i = 0; i < mr; i++) {
            int row = cTile + i * ldc;
            for (int j = 0; j < nr; j++) {
                float base = start == ACCUMULATE ? c[row + j] : start == BIAS ? bias[col + j] : 0f;
                c[row + j] = base + t[i * NR + j];
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of A (r0 a multiple of MR) into the shared packed layout: for the KC
     * block at {@code pc} (width kc), the MR-row panel holding row r starts at
     * {@code roundUp(m, MR)*pc + (r - r%MR)*kc}, and holds {@code A[r][pc + k]} at {@code k*MR + r%MR}.
     * Rows past M are zero so edge tiles can run the full kernel.
     */
    private static void packA(float[] a, int aOffset, int m, int k, int r0, int r1, float[] dst) {
        int mPadded = roundUp(m, MR);
        int rEnd = r1 == m ? roundUp(m, MR) : r1;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            int block = mPadded * pc;
            for (int p = r0; p < rEnd; p += MR) {
                int panel = block + p * kc;
                for (int i = 0; i < MR; i++) {
                    if (p + i < m) {
                        int src = aOffset + (p + i) * k + pc;
                        for (int kk = 0; kk < kc; kk++) dst[panel + kk * MR + i] = a[src + kk];
                    } else {
                        for (int kk = 0; kk < kc; kk++) dst[panel + kk * MR + i] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Output features {@code [jc, jc+nc)}, inputs {@code [pc, pc+kc)} of W widened (or dequantized:
     * Q8_0/Q4_0 go through the same seam, so the micro-kernel never sees a format) into NR-wide
     * panels: {@code dst[q*NR*kc + k*NR + j] = W[jc + q*NR + j][pc + k]}; features past the block
     * are zero. Each panel's NR row pieces are widened with vector loads into {@code rows}
     * (stride ROW_STRIDE), then transposed LANES×LANES blocks at a time in registers ({@link Transpose}).
     */
    private static void packW(Tensor w, int jc, int nc, int pc, int kc, float[] dst, float[] rows) {
        WeightFormat format = w.format();
        MemorySegment seg = w.data();
        long rowBytes = format.rowBytes(w.cols());
        long off = format.rowBytes(pc);   // KC is a whole number of blocks
        for (int q = 0; q < nc; q += NR) {
            int valid = Math.min(NR, nc - q);
            for (int j = 0; j < valid; j++) format.dequantize(seg, (jc + q + j) * rowBytes + off, kc, rows, j * ROW_STRIDE);
            for (int j = valid; j < NR; j++) Arrays.fill(rows, j * ROW_STRIDE, j * ROW_STRIDE + kc, 0f);
            int panel = q * kc;
            int kk = 0;
            if (Transpose.SUPPORTED) {
                for (; kk + LANES <= kc; kk += LANES) {
                    for (int h = 0; h < NR; h += LANES) {
                        Transpose.block(rows, h * ROW_STRIDE + kk, dst, panel + kk * NR + h);
                    }
                }
            }
            for (; kk < kc; kk++) {
                int d = panel + kk * NR;
                for (int j = 0; j < NR; j++) dst[d + j] = rows[j * ROW_STRIDE + kk];
            }
        }
    }
}
