package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;

import java.util.Arrays;

/**
 * {@code C[M,N] = A[M,K] · W[N,K]ᵀ (+ bias)}: activations A and C are float32 row-major arrays,
 * W is a Linear weight {@code [out=N, in=K]} in any float-readable {@link WeightFormat} (F32, BF16,
 * F16, Q8_0, Q4_0; heap or memory-mapped), read straight from its segment and widened or
 * dequantized by its format. Nothing here branches on the format.
 *
 * <p>M ≤ {@link Gemv#MAX_ROWS} (decode) goes to the memory-bound {@link Gemv}; larger M (prefill,
 * vision) to the packed, cache-blocked {@link Gemm}. Both split the work over {@code pool}.
 * {@link #matmulShared} runs several weights against the same A (one pool call in decode).
 */
public final class Matmul {
    private Matmul() {}

    /**
     * @param a      A, rows of length K = {@code w.cols()} starting at {@code aOffset}
     * @param m      rows of A and C
     * @param bias   length N, or null
     * @param c      C, rows of length N = {@code w.rows()} starting at {@code cOffset}; overwritten
     */
    public static void matmul(ThreadPool pool, float[] a, int aOffset, int m, Tensor w, float[] bias,
                              float[] c, int cOffset) {
        check(a, aOffset, m, w, bias, c, cOffset);
        int n = w.rows();
        int k = w.cols();
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                int row = cOffset + i * n;
                if (bias == null) Arrays.fill(c, row, row + n, 0f);
                else System.arraycopy(bias, 0, c, row, n);
            }
            return;
        }
        if (m <= Gemv.MAX_ROWS) Gemv.run(pool, a, aOffset, m, w, bias, c, cOffset);
        else Gemm.run(pool, a, aOffset, m, w, bias, c, cOffset);
    }

    /**
     * Several products of the same A: for every i, {@code cs[i] = A·ws[i]ᵀ (+ biases[i])}, with the
     * same bits as {@code matmul(pool, a, aOffset, m, ws[i], biases[i], cs[i], cOffsets[i])}. In decode
     * (M ≤ {@link Gemv#MAX_ROWS}) they run as one pool call (q/k/v, gate/up: a small GEMV costs about
     * as much to start and join as to compute); larger M runs one matmul after the other.
     *
     * @param ws       weights of the same K = {@code cols()}
     * @param biases   null, or one entry per weight: a bias of length {@code ws[i].rows()}, or null
     * @param cs       outputs, each as {@code c} of {@link #matmul}; they must not overlap A or each other
     * @param cOffsets where each output starts
     */
    public static void matmulShared(ThreadPool pool, float[] a, int aOffset, int m, Tensor[] ws, float[][] biases,
                                    float[][] cs, int[] cOffsets) {
        checkShared(a, aOffset, m, ws, biases, cs, cOffsets);
        if (ws.length == 0 || m == 0) return;
        if (m > Gemv.MAX_ROWS || ws[0].cols() == 0) {
            for (int i = 0; i < ws.length; i++) matmul(pool, a, aOffset, m, ws[i], bias(biases, i), cs[i], cOffsets[i]);
            return;
        }
        Gemv.runShared(pool, a, aOffset, m, ws, biases, cs, cOffsets);
    }

    private static float[] bias(float[][] biases, int i) {
        return biases == null ? null : biases[i];
    }

    /** Every product checked as {@link #matmul} checks it, and all of the same K, before any is computed. */
    private static void checkShared(float[] a, int aOffset, int m, Tensor[] ws, float[][] biases, float[][] cs,
                                    int[] cOffsets) {
        if (cs.length != ws.length || cOffsets.length != ws.length || (biases != null && biases.length != ws.length)) {
            throw new IllegalArgumentException("matmulShared: " + ws.length + " weights but " + cs.length + " outputs, "
                    + cOffsets.length + " output offsets and " + (biases == null ? "no" : biases.length) + " biases");
        }
        for (int i = 0; i < ws.length; i++) {
            checkWeight(ws[i]);
            if (ws[i].cols() != ws[0].cols()) {
                throw new IllegalArgumentException("matmulShared: weight '" + ws[i].name() + "' has K = " + ws[i].cols()
                        + " columns but '" + ws[0].name() + "' has " + ws[0].cols() + " (all must share A)");
            }
            checkOperands(a, aOffset, m, ws[i], bias(biases, i), cs[i], cOffsets[i]);
        }
    }

    private static void check(float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        checkWeight(w);
        checkOperands(a, aOffset, m, w, bias, c, cOffset);
    }

    private static void checkWeight(Tensor w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException("matmul weight '" + w.name() + "' must be 2-D [out, in], got shape "
                    + Arrays.toString(w.shape()));
        }
        if (!w.format().readableAsFloat()) throw Widen.unsupported(w);
    }

    private static void checkOperands(float[] a, int aOffset, int m, Tensor w, float[] bias, float[] c, int cOffset) {
        int n = w.rows();
        int k = w.cols();
        if (m < 0) throw new IllegalArgumentException("matmul with '" + w.name() + "': negative row count " + m);
        if (aOffset < 0 || (long) aOffset + (long) m * k > a.length) {
            throw new IllegalArgumentException("matmul with '" + w.name() + "': A needs " + m + "×" + k
                    + " floats from offset " + aOffset + " but has length " + a.length);
        }
        if (cOffset < 0 || (long) cOffset + (long) m * n > c.length) {
            throw new IllegalArgumentException("matmul with '" + w.name() + "': C needs " + m + "×" + n
                    + " floats from offset " + cOffset + " but has length " + c.length);
        }
        if (bias != null && bias.length != n) {
            throw new IllegalArgumentException("matmul with '" + w.name() + "': bias has length " + bias.length
                    + ", expected " + n);
        }
    }
}
