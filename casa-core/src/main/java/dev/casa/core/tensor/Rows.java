package dev.casa.core.tensor;

/** Stores the dot products of a group of rows whose tail may run past the last valid row. */
final class Rows {
    private Rows() {}

    static void store4(float[] out, int offset, int j, int end, float d0, float d1, float d2, float d3) {
        out[offset + j] = d0;
        if (j + 1 < end) out[offset + j + 1] = d1;
        if (j + 2 < end) out[offset + j + 2] = d2;
        if (j + 3 < end) out[offset + j + 3] = d3;
    }

    static void store2(float[] out, int offset, int j, int end, float d0, float d1) {
        out[offset + j] = d0;
        if (j + 1 < end) out[offset + j + 1] = d1;
    }
}
