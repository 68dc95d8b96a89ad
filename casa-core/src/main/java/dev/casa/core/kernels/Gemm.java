package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;

import java.util.Arrays;

import static dev.casa.core.kernels.MicroKernel.ACCUMULATE;
import static dev.casa.core.kernels.MicroKernel.BIAS;
import static dev.casa.core.kernels.MicroKernel.ZERO;

/**
 * Cache-blocked, multi-threaded {@code C = A·Wᵀ (+bias)} for M > {@link Gemv#MAX_ROWS} (prefill,
 * vision). Goto/BLIS loop order: per block of NC output features and KC inner steps, W is
 * widened and packed once into NR-wide panels (KC×NR floats), then for each block of
 * MC rows A is packed into MR-tall panels (L2-resident) and the {@link MicroKernel} sweeps the
 * tiles: each W panel stays in L1 while every A panel of the block streams past it.
 * Threads own contiguous column ranges (or row ranges when N is small) and their own buffers.
 */
final class Gemm {
    private Gemm() {}

    static final int MR = MicroKernel.MR;
    static final int NR = MicroKernel.NR;
    /** Inner-dimension block: a KC×NR W panel is 16 KB (AVX2) or 32 KB (AVX-512). */
    static final int KC = 256;
    /** Rows per A block: MC×KC floats (192 KB) sit in L2. Multiple of MR. */
    static final int MC = 192;
    /** Output features per W block: KC×NC floats (2 MB) per thread. Multiple of NR. */
    static final int NC = 2048;

    static void run(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        int threads = pool.threads();
        if (n >= threads * 4 * NR || m < threads * MR) {
            int panels = (n + NR - 1) / NR;
            int chunks = Math.min(threads, panels);
            pool.runChunks(chunks, (chunk, cs) -> {
                int n0 = Math.min(n, panels * chunk / cs * NR);
                int n1 = Math.min(n, panels * (chunk + 1) / cs * NR);
                if (n0 < n1) block(a, aOffset, 0, m, w, bias, c, cOffset, n0, n1);
            });
        } else {
            int panels = (m + MR - 1) / MR;
            int chunks = Math.min(threads, panels);
            pool.runChunks(chunks, (chunk, cs) -> {
                int m0 = Math.min(m, panels * chunk / cs * MR);
                int m1 = Math.min(m, panels * (chunk + 1) / cs * MR);
                if (m0 < m1) block(a, aOffset, m0, m1, w, bias, c, cOffset, 0, n);
            });
        }
    }

    /** C rows {@code [m0, m1)}, columns {@code [n0, n1)}, on the calling thread. */
    private static void block(float[] a, int aOffset, int m0, int m1, Tensor w, float[] bias,
                              float[] c, int cOffset, int n0, int n1) {
        int n = w.rows();
        int k = w.cols();
        Scratch s = Scratch.forGemm();
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packW(w, jc, nc, pc, kc, s.b, s.row);
                int start = pc > 0 ? ACCUMULATE : bias != null ? BIAS : ZERO;
                for (int ic = m0; ic < m1; ic += MC) {
                    int mc = Math.min(MC, m1 - ic);
                    packA(a, aOffset, k, ic, mc, pc, kc, s.a);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int cTile = cOffset + (ic + ir) * n + jc + jr;
                            if (mr == MR && nr == NR) {
                                MicroKernel.tile(kc, s.a, ir * kc, s.b, jr * kc, c, cTile, n, start, bias, jc + jr);
                            } else {
                                edgeTile(kc, s, ir * kc, jr * kc, mr, nr, c, cTile, n, start, bias, jc + jr);
                            }
                        }
                    }
                }
            }
        }
    }

    /** A partial tile: computed in full into scratch (the packing zero-pads), then the valid part merged. */
    private static void edgeTile(int kc, Scratch s, int aOff, int bOff, int mr, int nr,
                                 float[] c, int cTile, int ldc, int start, float[] bias, int col) {
        float[] t = s.tile;
        MicroKernel.tile(kc, s.a, aOff, s.b, bOff, t, 0, NR, ZERO, null, 0);
        for (int i = 0; i < mr; i++) {
            int row = cTile + i * ldc;
            for (int j = 0; j < nr; j++) {
                float base = start == ACCUMULATE ? c[row + j] : start == BIAS ? bias[col + j] : 0f;
                c[row + j] = base + t[i * NR + j];
            }
        }
    }

    /**
     * Rows {@code [ic, ic+mc)}, columns {@code [pc, pc+kc)} of A into MR-row panels:
     * {@code dst[p*MR*kc + k*MR + i] = A[ic + p*MR + i][pc + k]}; rows past the block are zero.
     */
    private static void packA(float[] a, int aOffset, int k, int ic, int mc, int pc, int kc, float[] dst) {
        for (int p = 0; p < mc; p += MR) {
            int panel = p * kc;
            for (int i = 0; i < MR; i++) {
                if (p + i < mc) {
                    int src = aOffset + (ic + p + i) * k + pc;
                    for (int kk = 0; kk < kc; kk++) dst[panel + kk * MR + i] = a[src + kk];
                } else {
                    for (int kk = 0; kk < kc; kk++) dst[panel + kk * MR + i] = 0f;
                }
            }
        }
    }

    /**
     * Output features {@code [jc, jc+nc)}, inputs {@code [pc, pc+kc)} of W widened into NR-wide
     * panels: {@code dst[q*NR*kc + k*NR + j] = W[jc + q*NR + j][pc + k]}; features past the block
     * are zero. Each panel's NR row pieces are widened with vector loads into {@code rows}
     * (stride KC), then transposed one k at a time into NR consecutive floats.
     */
    private static void packW(Tensor w, int jc, int nc, int pc, int kc, float[] dst, float[] rows) {
        long k = w.cols();
        for (int q = 0; q < nc; q += NR) {
            int valid = Math.min(NR, nc - q);
            for (int j = 0; j < valid; j++) Widen.toFloats(w, (jc + q + j) * k + pc, rows, j * KC, kc);
            for (int j = valid; j < NR; j++) Arrays.fill(rows, j * KC, j * KC + kc, 0f);
            int panel = q * kc;
            for (int kk = 0; kk < kc; kk++) {
                int d = panel + kk * NR;
                for (int j = 0; j < NR; j++) dst[d + j] = rows[j * KC + kk];
            }
        }
    }
}
