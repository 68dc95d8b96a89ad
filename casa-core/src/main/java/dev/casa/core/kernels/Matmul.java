package dev.casa.core.kernels;

import dev.casa.core.tensor.Tensor;

/**
 * {@code C[M,N] = A[M,K] · W[N,K]ᵀ (+ bias)}: activations A and C are float32 row-major arrays,
 * W is a Linear weight {@code [out=N, in=K]} in F32, BF16 or F16, widened in registers.
 * TODO(foundation): GEMM for M > 1 and bandwidth-bound GEMV for M = 1; this is the naive version.
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
        int n = w.rows();
        int k = w.cols();
        pool.parallelFor(n, (n0, n1) -> {
            for (int j = n0; j < n1; j++) {
                long wRow = (long) j * k;
                for (int i = 0; i < m; i++) {
                    float sum = 0f;
                    for (int kk = 0; kk < k; kk++) sum += a[aOffset + i * k + kk] * w.getFloat(wRow + kk);
                    c[cOffset + i * n + j] = bias == null ? sum : sum + bias[j];
                }
            }
        });
    }
}
