package dev.casa.core.kernels;

import jdk.incubator.vector.FloatVector;

import static dev.casa.core.kernels.Widen.F;

/**
 * The GEMM inner kernel: an MR×NR tile of C (NR = two vectors) held in 2·MR vector registers
 * while {@code kc} rank-1 updates stream through it. Per k step: two vector loads of the packed W
 * panel, MR broadcasts from the packed A panel, 2·MR FMAs with the accumulator as the addend
 * (C2's fast form). MR is 6 with 16 vector registers (AVX2: 12 accumulators + 2 W + 1 A) and 8
 * with 32 (AVX-512), where the bigger tile loads less W per FMA.
 */
final class MicroKernel {
    private MicroKernel() {}

    private static final int L = Widen.LANES;
    /** Rows of the C tile. */
    static final int MR = L >= 16 ? 8 : 6;
    /** Two vectors wide: 16 floats on AVX2, 32 on AVX-512. */
    static final int NR = 2 * L;

    /** Start the tile from zero. */
    static final int ZERO = 0;
    /** Start every row of the tile from {@code bias[biasOffset..+NR]}. */
    static final int BIAS = 1;
    /** Accumulate onto the tile already in C (a later K block). */
    static final int ACCUMULATE = 2;

    /**
     * @param ap packed A panel: {@code ap[aOff + k*MR + i]} = A[i][k]
     * @param bp packed W panel: {@code bp[bOff + k*NR + j]} = W[j][k]
     * @param c  tile origin {@code c[cOff]}, row stride {@code ldc}; written back in full
     */
    static void tile(int kc, float[] ap, int aOff, float[] bp, int bOff,
                     float[] c, int cOff, int ldc, int start, float[] bias, int biasOffset) {
        if (MR == 8) tile8(kc, ap, aOff, bp, bOff, c, cOff, ldc, start, bias, biasOffset);
        else tile6(kc, ap, aOff, bp, bOff, c, cOff, ldc, start, bias, biasOffset);
    }

    private static void tile6(int kc, float[] ap, int aOff, float[] bp, int bOff,
                              float[] c, int cOff, int ldc, int start, float[] bias, int biasOffset) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (start == ACCUMULATE) {
            c00 = FloatVector.fromArray(F, c, cOff);
            c01 = FloatVector.fromArray(F, c, cOff + L);
            c10 = FloatVector.fromArray(F, c, cOff + ldc);
            c11 = FloatVector.fromArray(F, c, cOff + ldc + L);
            c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc);
            c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + L);
            c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc);
            c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + L);
            c40 = FloatVector.fromArray(F, c, cOff + 4 * ldc);
            c41 = FloatVector.fromArray(F, c, cOff + 4 * ldc + L);
            c50 = FloatVector.fromArray(F, c, cOff + 5 * ldc);
            c51 = FloatVector.fromArray(F, c, cOff + 5 * ldc + L);
        } else {
            FloatVector b0 = start == BIAS ? FloatVector.fromArray(F, bias, biasOffset) : FloatVector.zero(F);
            FloatVector b1 = start == BIAS ? FloatVector.fromArray(F, bias, biasOffset + L) : FloatVector.zero(F);
            c00 = b0; c10 = b0; c20 = b0; c30 = b0; c40 = b0; c50 = b0;
            c01 = b1; c11 = b1; c21 = b1; c31 = b1; c41 = b1; c51 = b1;
        }
        int k = 0;
        for (; k + 1 < kc; k += 2) { // two k steps per trip: halves the loop and index overhead
            int ai = aOff + k * 6;
            int bi = bOff + k * NR;
            FloatVector b0, b1, a;
            b0 = FloatVector.fromArray(F, bp, bi);
            b1 = FloatVector.fromArray(F, bp, bi + L);
            a = FloatVector.broadcast(F, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            b0 = FloatVector.fromArray(F, bp, bi + NR);
            b1 = FloatVector.fromArray(F, bp, bi + NR + L);
            a = FloatVector.broadcast(F, ap[ai + 6]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 7]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 8]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 9]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 10]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 11]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        for (; k < kc; k++) {
            int ai = aOff + k * 6;
            int bi = bOff + k * NR;
            FloatVector b0, b1, a;
            b0 = FloatVector.fromArray(F, bp, bi);
            b1 = FloatVector.fromArray(F, bp, bi + L);
            a = FloatVector.broadcast(F, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
    }

    private static void tile8(int kc, float[] ap, int aOff, float[] bp, int bOff,
                              float[] c, int cOff, int ldc, int start, float[] bias, int biasOffset) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (start == ACCUMULATE) {
            c00 = FloatVector.fromArray(F, c, cOff);
            c01 = FloatVector.fromArray(F, c, cOff + L);
            c10 = FloatVector.fromArray(F, c, cOff + ldc);
            c11 = FloatVector.fromArray(F, c, cOff + ldc + L);
            c20 = FloatVector.fromArray(F, c, cOff + 2 * ldc);
            c21 = FloatVector.fromArray(F, c, cOff + 2 * ldc + L);
            c30 = FloatVector.fromArray(F, c, cOff + 3 * ldc);
            c31 = FloatVector.fromArray(F, c, cOff + 3 * ldc + L);
            c40 = FloatVector.fromArray(F, c, cOff + 4 * ldc);
            c41 = FloatVector.fromArray(F, c, cOff + 4 * ldc + L);
            c50 = FloatVector.fromArray(F, c, cOff + 5 * ldc);
            c51 = FloatVector.fromArray(F, c, cOff + 5 * ldc + L);
            c60 = FloatVector.fromArray(F, c, cOff + 6 * ldc);
            c61 = FloatVector.fromArray(F, c, cOff + 6 * ldc + L);
            c70 = FloatVector.fromArray(F, c, cOff + 7 * ldc);
            c71 = FloatVector.fromArray(F, c, cOff + 7 * ldc + L);
        } else {
            FloatVector b0 = start == BIAS ? FloatVector.fromArray(F, bias, biasOffset) : FloatVector.zero(F);
            FloatVector b1 = start == BIAS ? FloatVector.fromArray(F, bias, biasOffset + L) : FloatVector.zero(F);
            c00 = b0; c10 = b0; c20 = b0; c30 = b0; c40 = b0; c50 = b0; c60 = b0; c70 = b0;
            c01 = b1; c11 = b1; c21 = b1; c31 = b1; c41 = b1; c51 = b1; c61 = b1; c71 = b1;
        }
        int k = 0;
        for (; k + 1 < kc; k += 2) { // two k steps per trip: halves the loop and index overhead
            int ai = aOff + k * 8;
            int bi = bOff + k * NR;
            FloatVector b0, b1, a;
            b0 = FloatVector.fromArray(F, bp, bi);
            b1 = FloatVector.fromArray(F, bp, bi + L);
            a = FloatVector.broadcast(F, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(F, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(F, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
            b0 = FloatVector.fromArray(F, bp, bi + NR);
            b1 = FloatVector.fromArray(F, bp, bi + NR + L);
            a = FloatVector.broadcast(F, ap[ai + 8]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 9]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 10]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 11]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 12]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 13]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(F, ap[ai + 14]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(F, ap[ai + 15]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
        }
        for (; k < kc; k++) {
            int ai = aOff + k * 8;
            int bi = bOff + k * NR;
            FloatVector b0, b1, a;
            b0 = FloatVector.fromArray(F, bp, bi);
            b1 = FloatVector.fromArray(F, bp, bi + L);
            a = FloatVector.broadcast(F, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(F, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(F, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c60.intoArray(c, cOff + 6 * ldc);
        c61.intoArray(c, cOff + 6 * ldc + L);
        c70.intoArray(c, cOff + 7 * ldc);
        c71.intoArray(c, cOff + 7 * ldc + L);
    }
}
