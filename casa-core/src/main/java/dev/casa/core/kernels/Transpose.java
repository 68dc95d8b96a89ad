package dev.casa.core.kernels;

import jdk.incubator.vector.FloatVector;

import static dev.casa.core.kernels.Gemm.NR;
import static dev.casa.core.kernels.Gemm.ROW_STRIDE;
import static dev.casa.core.kernels.Widen.F;
import static dev.casa.core.kernels.Widen.LANES;

/**
 * In-register transpose of a LANES×LANES float block, for packing W panels (rows of W become
 * columns of the panel). log2(LANES) rounds; round d swaps bit d of the row and column index with
 * two-source lane selects ({@code selectFrom(v1, v2)}, one permute each on AVX-512), instead of
 * one scalar load and store per element.
 */
final class Transpose {
    private Transpose() {}

    /** Whether {@link #block} is available for this vector width. */
    static final boolean SUPPORTED = LANES == 8 || LANES == 16;

    // Round d: row i (bit d clear) takes its own lanes without bit d and row i+d's lanes shifted down;
    // row i+d takes row i's lanes with bit d shifted up and its own lanes with bit d.
    private static final FloatVector LO_1 = low(1), HI_1 = high(1), LO_2 = low(2), HI_2 = high(2);
    private static final FloatVector LO_4 = low(4), HI_4 = high(4), LO_8 = low(8), HI_8 = high(8);

    private static FloatVector low(int d) {
        float[] idx = new float[LANES];
        for (int l = 0; l < LANES; l++) idx[l] = (l & d) == 0 ? l : LANES + l - d;
        return FloatVector.fromArray(F, idx, 0);
    }

    private static FloatVector high(int d) {
        float[] idx = new float[LANES];
        for (int l = 0; l < LANES; l++) idx[l] = (l & d) == 0 ? (l + d) % (2 * LANES) : LANES + l;
        return FloatVector.fromArray(F, idx, 0);
    }

    /** Rows {@code src[srcBase + r*ROW_STRIDE .. +LANES]} become {@code dst[dstBase + c*NR .. +LANES]}. */
    static void block(float[] src, int srcBase, float[] dst, int dstBase) {
        if (LANES == 16) transpose16(src, srcBase, dst, dstBase);
        else transpose8(src, srcBase, dst, dstBase);
    }

    /** Transposes one 8×8 block: rows at {@code src[srcBase + r*ROW_STRIDE]} to columns at {@code dst[dstBase + c*NR]}. */
    private static void transpose8(float[] src, int srcBase, float[] dst, int dstBase) {
        FloatVector t;
        FloatVector v0 = FloatVector.fromArray(F, src, srcBase);
        FloatVector v1 = FloatVector.fromArray(F, src, srcBase + 1 * ROW_STRIDE);
        FloatVector v2 = FloatVector.fromArray(F, src, srcBase + 2 * ROW_STRIDE);
        FloatVector v3 = FloatVector.fromArray(F, src, srcBase + 3 * ROW_STRIDE);
        FloatVector v4 = FloatVector.fromArray(F, src, srcBase + 4 * ROW_STRIDE);
        FloatVector v5 = FloatVector.fromArray(F, src, srcBase + 5 * ROW_STRIDE);
        FloatVector v6 = FloatVector.fromArray(F, src, srcBase + 6 * ROW_STRIDE);
        FloatVector v7 = FloatVector.fromArray(F, src, srcBase + 7 * ROW_STRIDE);
        t = LO_4.selectFrom(v0, v4);
        v4 = HI_4.selectFrom(v0, v4);
        v0 = t;
        t = LO_4.selectFrom(v1, v5);
        v5 = HI_4.selectFrom(v1, v5);
        v1 = t;
        t = LO_4.selectFrom(v2, v6);
        v6 = HI_4.selectFrom(v2, v6);
        v2 = t;
        t = LO_4.selectFrom(v3, v7);
        v7 = HI_4.selectFrom(v3, v7);
        v3 = t;
        t = LO_2.selectFrom(v0, v2);
        v2 = HI_2.selectFrom(v0, v2);
        v0 = t;
        t = LO_2.selectFrom(v1, v3);
        v3 = HI_2.selectFrom(v1, v3);
        v1 = t;
        t = LO_2.selectFrom(v4, v6);
        v6 = HI_2.selectFrom(v4, v6);
        v4 = t;
        t = LO_2.selectFrom(v5, v7);
        v7 = HI_2.selectFrom(v5, v7);
        v5 = t;
        t = LO_1.selectFrom(v0, v1);
        v1 = HI_1.selectFrom(v0, v1);
        v0 = t;
        t = LO_1.selectFrom(v2, v3);
        v3 = HI_1.selectFrom(v2, v3);
        v2 = t;
        t = LO_1.selectFrom(v4, v5);
        v5 = HI_1.selectFrom(v4, v5);
        v4 = t;
        t = LO_1.selectFrom(v6, v7);
        v7 = HI_1.selectFrom(v6, v7);
        v6 = t;
        v0.intoArray(dst, dstBase);
        v1.intoArray(dst, dstBase + 1 * NR);
        v2.intoArray(dst, dstBase + 2 * NR);
        v3.intoArray(dst, dstBase + 3 * NR);
        v4.intoArray(dst, dstBase + 4 * NR);
        v5.intoArray(dst, dstBase + 5 * NR);
        v6.intoArray(dst, dstBase + 6 * NR);
        v7.intoArray(dst, dstBase + 7 * NR);
    }

    /** Transposes one 16×16 block: rows at {@code src[srcBase + r*ROW_STRIDE]} to columns at {@code dst[dstBase + c*NR]}. */
    private static void transpose16(float[] src, int srcBase, float[] dst, int dstBase) {
        FloatVector t;
        FloatVector v0 = FloatVector.fromArray(F, src, srcBase);
        FloatVector v1 = FloatVector.fromArray(F, src, srcBase + 1 * ROW_STRIDE);
        FloatVector v2 = FloatVector.fromArray(F, src, srcBase + 2 * ROW_STRIDE);
        FloatVector v3 = FloatVector.fromArray(F, src, srcBase + 3 * ROW_STRIDE);
        FloatVector v4 = FloatVector.fromArray(F, src, srcBase + 4 * ROW_STRIDE);
        FloatVector v5 = FloatVector.fromArray(F, src, srcBase + 5 * ROW_STRIDE);
        FloatVector v6 = FloatVector.fromArray(F, src, srcBase + 6 * ROW_STRIDE);
        FloatVector v7 = FloatVector.fromArray(F, src, srcBase + 7 * ROW_STRIDE);
        FloatVector v8 = FloatVector.fromArray(F, src, srcBase + 8 * ROW_STRIDE);
        FloatVector v9 = FloatVector.fromArray(F, src, srcBase + 9 * ROW_STRIDE);
        FloatVector v10 = FloatVector.fromArray(F, src, srcBase + 10 * ROW_STRIDE);
        FloatVector v11 = FloatVector.fromArray(F, src, srcBase + 11 * ROW_STRIDE);
        FloatVector v12 = FloatVector.fromArray(F, src, srcBase + 12 * ROW_STRIDE);
        FloatVector v13 = FloatVector.fromArray(F, src, srcBase + 13 * ROW_STRIDE);
        FloatVector v14 = FloatVector.fromArray(F, src, srcBase + 14 * ROW_STRIDE);
        FloatVector v15 = FloatVector.fromArray(F, src, srcBase + 15 * ROW_STRIDE);
        t = LO_8.selectFrom(v0, v8);
        v8 = HI_8.selectFrom(v0, v8);
        v0 = t;
        t = LO_8.selectFrom(v1, v9);
        v9 = HI_8.selectFrom(v1, v9);
        v1 = t;
        t = LO_8.selectFrom(v2, v10);
        v10 = HI_8.selectFrom(v2, v10);
        v2 = t;
        t = LO_8.selectFrom(v3, v11);
        v11 = HI_8.selectFrom(v3, v11);
        v3 = t;
        t = LO_8.selectFrom(v4, v12);
        v12 = HI_8.selectFrom(v4, v12);
        v4 = t;
        t = LO_8.selectFrom(v5, v13);
        v13 = HI_8.selectFrom(v5, v13);
        v5 = t;
        t = LO_8.selectFrom(v6, v14);
        v14 = HI_8.selectFrom(v6, v14);
        v6 = t;
        t = LO_8.selectFrom(v7, v15);
        v15 = HI_8.selectFrom(v7, v15);
        v7 = t;
        t = LO_4.selectFrom(v0, v4);
        v4 = HI_4.selectFrom(v0, v4);
        v0 = t;
        t = LO_4.selectFrom(v1, v5);
        v5 = HI_4.selectFrom(v1, v5);
        v1 = t;
        t = LO_4.selectFrom(v2, v6);
        v6 = HI_4.selectFrom(v2, v6);
        v2 = t;
        t = LO_4.selectFrom(v3, v7);
        v7 = HI_4.selectFrom(v3, v7);
        v3 = t;
        t = LO_4.selectFrom(v8, v12);
        v12 = HI_4.selectFrom(v8, v12);
        v8 = t;
        t = LO_4.selectFrom(v9, v13);
        v13 = HI_4.selectFrom(v9, v13);
        v9 = t;
        t = LO_4.selectFrom(v10, v14);
        v14 = HI_4.selectFrom(v10, v14);
        v10 = t;
        t = LO_4.selectFrom(v11, v15);
        v15 = HI_4.selectFrom(v11, v15);
        v11 = t;
        t = LO_2.selectFrom(v0, v2);
        v2 = HI_2.selectFrom(v0, v2);
        v0 = t;
        t = LO_2.selectFrom(v1, v3);
        v3 = HI_2.selectFrom(v1, v3);
        v1 = t;
        t = LO_2.selectFrom(v4, v6);
        v6 = HI_2.selectFrom(v4, v6);
        v4 = t;
        t = LO_2.selectFrom(v5, v7);
        v7 = HI_2.selectFrom(v5, v7);
        v5 = t;
        t = LO_2.selectFrom(v8, v10);
        v10 = HI_2.selectFrom(v8, v10);
        v8 = t;
        t = LO_2.selectFrom(v9, v11);
        v11 = HI_2.selectFrom(v9, v11);
        v9 = t;
        t = LO_2.selectFrom(v12, v14);
        v14 = HI_2.selectFrom(v12, v14);
        v12 = t;
        t = LO_2.selectFrom(v13, v15);
        v15 = HI_2.selectFrom(v13, v15);
        v13 = t;
        t = LO_1.selectFrom(v0, v1);
        v1 = HI_1.selectFrom(v0, v1);
        v0 = t;
        t = LO_1.selectFrom(v2, v3);
        v3 = HI_1.selectFrom(v2, v3);
        v2 = t;
        t = LO_1.selectFrom(v4, v5);
        v5 = HI_1.selectFrom(v4, v5);
        v4 = t;
        t = LO_1.selectFrom(v6, v7);
        v7 = HI_1.selectFrom(v6, v7);
        v6 = t;
        t = LO_1.selectFrom(v8, v9);
        v9 = HI_1.selectFrom(v8, v9);
        v8 = t;
        t = LO_1.selectFrom(v10, v11);
        v11 = HI_1.selectFrom(v10, v11);
        v10 = t;
        t = LO_1.selectFrom(v12, v13);
        v13 = HI_1.selectFrom(v12, v13);
        v12 = t;
        t = LO_1.selectFrom(v14, v15);
        v15 = HI_1.selectFrom(v14, v15);
        v14 = t;
        v0.intoArray(dst, dstBase);
        v1.intoArray(dst, dstBase + 1 * NR);
        v2.intoArray(dst, dstBase + 2 * NR);
        v3.intoArray(dst, dstBase + 3 * NR);
        v4.intoArray(dst, dstBase + 4 * NR);
        v5.intoArray(dst, dstBase + 5 * NR);
        v6.intoArray(dst, dstBase + 6 * NR);
        v7.intoArray(dst, dstBase + 7 * NR);
        v8.intoArray(dst, dstBase + 8 * NR);
        v9.intoArray(dst, dstBase + 9 * NR);
        v10.intoArray(dst, dstBase + 10 * NR);
        v11.intoArray(dst, dstBase + 11 * NR);
        v12.intoArray(dst, dstBase + 12 * NR);
        v13.intoArray(dst, dstBase + 13 * NR);
        v14.intoArray(dst, dstBase + 14 * NR);
        v15.intoArray(dst, dstBase + 15 * NR);
    }
}
