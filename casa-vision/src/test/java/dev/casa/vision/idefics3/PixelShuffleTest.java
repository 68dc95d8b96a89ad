package dev.casa.vision.idefics3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link PixelShuffleConnector#pixelShuffle} against HF v4.51.3's {@code Idefics3Connector.pixel_shuffle}
 * run by torch 1.13 on {@code torch.arange(seq·D).view(1, seq, D)}; the expected rows are torch's printed output.
 */
class PixelShuffleTest {

    @Test
    void scale2OnA4x4GridOfWidth1() {
        float[] in = new float[16];
        for (int i = 0; i < in.length; i++) in[i] = i;
        float[] out = new float[16];
        PixelShuffleConnector.pixelShuffle(in, 0, 4, 1, 2, out, 0);
        assertArrayEquals(floats(0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15), out);
    }

    @Test
    void scale3OnA6x6GridOfWidth2WithOffsets() {
        float[] in = new float[3 + 72];
        for (int i = 0; i < 72; i++) in[3 + i] = i;
        float[] out = new float[5 + 72];
        PixelShuffleConnector.pixelShuffle(in, 3, 6, 2, 3, out, 5);
        float[] expected = floats(
                0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 24, 25, 26, 27, 28, 29,
                6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23, 30, 31, 32, 33, 34, 35,
                36, 37, 38, 39, 40, 41, 48, 49, 50, 51, 52, 53, 60, 61, 62, 63, 64, 65,
                42, 43, 44, 45, 46, 47, 54, 55, 56, 57, 58, 59, 66, 67, 68, 69, 70, 71);
        float[] got = new float[72];
        System.arraycopy(out, 5, got, 0, 72);
        assertArrayEquals(expected, got);
    }

    private static float[] floats(int... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = v[i];
        return f;
    }
}
