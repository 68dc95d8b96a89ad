package dev.casa.core.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Q8_0/Q4_0 quantization against GGML's reference rounding, byte for byte. */
class QuantizerTest {

    /**
     * Blocks of {@link #goldenInput} as GGML's {@code quantize_row_q8_0_ref}/{@code quantize_row_q4_0_ref}
     * encode them: produced by a small C transcription of those functions (gcc 12, scale via F16C
     * {@code _cvtss_sh(d, 0)}; the same bytes with {@code -ffp-contract=off} and {@code =fast}).
     */
    private static final String[][] GOLDEN = {
            {"c62781786d62574c41362b20150afff4e9ded3c9beb3a89d92877d73685d52473c31", "b637505f4f3e2d2d1c0bfbfaf9e9d8c7c7b6"},
            {"00000000000000000000000000000000000000000000000000000000000000000000", "008088888888888888888888888888888888"},
            {"082881899199a17fb1b9c0c8d0d8e0e8f0f8000810182028303840474f575f676f77", "0038809191a2a2bfb3c4c4d5d5e6e6f7f7f8"},
            {"000081c100407f81c100407f81c100407f81c100407f81c100407f81c100407f81c1", "04004084c8fc0f4084c8fc0f4084c8fc0f40"},
            {"003c81a6cbf0153a5f85aacff4193e6389aed3f81d42678db2d7fc21466b91b6db00", "f04b5072a5c7e91c3e5083a5c7fa1c3e6183"},
            {"f01fbf43bb47b74bb34faf53ab57a75ba35f9f639b67976b936f8f738b77877b837f", "e0afec24ec24fd13fd13fd13fd13fe02fe02"},
            {"ff5f81abd6002a557f81abd6002a557f81abd6002a557f81abd6002a557f81abd600", "ef6f5083b5d8fb0d3f5083b5d8fb0d3f5083"},
            {"662e000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e81", "5a3e9898989898989898a9a9a9a9a9a9a909"},
    };

    /** The C program's inputs: dyadic rationals and edge cases (zeros, ±max ties, f16-subnormal scale, ties). */
    static float[] goldenInput(int block) {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            int i = block * 32 + j;
            x[j] = (float) (((i * 7919 + 13) % 2001) - 1000) / 256.0f;
        }
        switch (block) {
            case 1 -> { for (int j = 0; j < 32; j++) x[j] = 0.0f; }
            case 2 -> { for (int j = 0; j < 32; j++) x[j] = (j - 16) * 0.25f; x[5] = 4.0f; }
            case 3 -> { for (int j = 0; j < 32; j++) x[j] = (float) (j % 5) * 1e-6f - 2e-6f; }
            case 4 -> { for (int j = 0; j < 32; j++) x[j] = (float) ((j * 37) % 255 - 127); }
            case 5 -> { for (int j = 0; j < 32; j++) x[j] = (j % 2 != 0 ? 1.0f : -1.0f) * (0.5f + j / 64.0f); }
            case 6 -> { for (int j = 0; j < 32; j++) x[j] = 65000.0f * ((j % 7) - 3) / 3.0f; }
            case 7 -> { for (int j = 0; j < 32; j++) x[j] = j < 31 ? 0.1f * j : -12.7f; }
            default -> { }
        }
        return x;
    }

    @Test
    void goldenBlocksMatchGgml() {
        int blocks = GOLDEN.length;
        float[] all = new float[blocks * 32];
        for (int b = 0; b < blocks; b++) System.arraycopy(goldenInput(b), 0, all, b * 32, 32);
        // One row of 8 blocks and 8 rows of one block must encode the same.
        for (long[] shape : new long[][] {{1, blocks * 32L}, {blocks, 32}}) {
            Tensor q8 = Quantizer.quantize("w", all, shape, WeightFormat.Q8_0);
            Tensor q4 = Quantizer.quantize("w", all, shape, WeightFormat.Q4_0);
            for (int b = 0; b < blocks; b++) {
                assertEquals(GOLDEN[b][0], hex(q8.data(), 34L * b, 34), "Q8_0 block " + b);
                assertEquals(GOLDEN[b][1], hex(q4.data(), 18L * b, 18), "Q4_0 block " + b);
                // The test's own model of the reference agrees with the C program too.
                assertEquals(GOLDEN[b][0], HexFormat.of().formatHex(GgmlBlocks.q8(all, 32 * b)), "model Q8_0 block " + b);
                assertEquals(GOLDEN[b][1], HexFormat.of().formatHex(GgmlBlocks.q4(all, 32 * b)), "model Q4_0 block " + b);
            }
        }
    }

    @Test
    void matchesTheReferenceModelOnAwkwardShapesAndDistributions() {
        Random rnd = new Random(11);
        int[][] shapes = {{1, 32}, {3, 64}, {7, 96}, {37, 160}, {2, 4096}, {5, 1056}};
        for (int[] s : shapes) {
            for (int dist = 0; dist < 4; dist++) {
                float[] v = values(s[0] * s[1], dist, rnd);
                for (WeightFormat f : WeightFormat.quantizedFormats()) {
                    Tensor q = Quantizer.quantize("w", v, new long[] {s[0], s[1]}, f);
                    assertEquals(f, q.format());
                    assertEquals((long) s[0] * s[1] / 32 * f.blockBytes(), q.data().byteSize());
                    for (int b = 0; b < v.length / 32; b++) {
                        byte[] expected = f == WeightFormat.Q8_0 ? GgmlBlocks.q8(v, 32 * b) : GgmlBlocks.q4(v, 32 * b);
                        byte[] got = q.data().asSlice((long) b * f.blockBytes(), f.blockBytes()).toArray(ValueLayout.JAVA_BYTE);
                        assertArrayEquals(expected, got, f + " " + s[0] + "x" + s[1] + " dist " + dist + " block " + b);
                    }
                }
            }
        }
    }

    /**
     * Blocks that catch shortcuts in a vectorized quantizer: signed zeros (GGML's Q4_0 keeps max = +0, so
     * d = −0), rounding ties and the float just below one half (y + 0.5 would round it up), and equal
     * magnitudes of opposite sign (the first one is max), in either half of the block and either vector.
     */
    @Test
    void edgeBlocksMatchTheReferenceModel() {
        float below = Math.nextDown(0.5f);
        float[][] blocks = new float[8][32];
        java.util.Arrays.fill(blocks[0], -0.0f);
        for (int j = 0; j < 32; j++) blocks[1][j] = j % 2 == 0 ? -0.0f : 0.0f;
        for (int j = 0; j < 32; j++) blocks[2][j] = (j % 4 - 1.5f) + (j % 3 == 0 ? 0.5f : 0f);   // ties at ±k.5
        blocks[2][31] = 127;
        for (int j = 0; j < 32; j++) blocks[3][j] = j % 2 == 0 ? below : -below;
        blocks[3][13] = 127;
        blocks[4][20] = 3;
        blocks[4][27] = -3;
        blocks[4][3] = 1;
        blocks[5][9] = -3;
        blocks[5][25] = 3;
        blocks[6][30] = -5e-3f;
        blocks[6][31] = 5e-3f;
        for (int j = 0; j < 32; j++) blocks[7][j] = (j - 16) / 2f;   // ties for Q4_0 after scaling by 1/-1
        blocks[7][0] = -8;
        float[] all = new float[blocks.length * 32];
        for (int b = 0; b < blocks.length; b++) System.arraycopy(blocks[b], 0, all, 32 * b, 32);
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            Tensor q = Quantizer.quantize("w", all, new long[] {blocks.length, 32}, f);
            for (int b = 0; b < blocks.length; b++) {
                byte[] expected = f == WeightFormat.Q8_0 ? GgmlBlocks.q8(all, 32 * b) : GgmlBlocks.q4(all, 32 * b);
                byte[] got = q.data().asSlice((long) b * f.blockBytes(), f.blockBytes()).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(expected, got, f + " block " + b);
            }
        }
    }

    /** Normal, uniform, heavy-tailed with outliers, and values on a grid (exact ties after scaling). */
    private static float[] values(int n, int dist, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (dist) {
                case 0 -> (float) rnd.nextGaussian() * 0.02f;
                case 1 -> rnd.nextFloat() * 2 - 1;
                case 2 -> (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 3 : 0.05));
                default -> (rnd.nextInt(255) - 127) / 16f;
            };
        }
        return v;
    }

    @Test
    void dequantizedValuesAreTheBytesDecoded() {
        Random rnd = new Random(5);
        float[] v = values(9 * 128, 0, rnd);
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            boolean q4 = f == WeightFormat.Q4_0;
            Tensor q = Quantizer.quantize("w", v, new long[] {9, 128}, f);
            float[] all = Quantizer.dequantize(q);
            float[] row = new float[128 + 3];
            for (int r = 0; r < 9; r++) {
                q.copyRow(r, row, 3);
                for (int c = 0; c < 128; c++) {
                    long i = r * 128L + c;
                    float expected = GgmlBlocks.weight(q.data(), i, q4);
                    assertEquals(expected, all[(int) i], f + " toFloatArray " + i);
                    assertEquals(expected, q.getFloat(i), f + " getFloat " + i);
                    assertEquals(expected, row[3 + c], f + " copyRow " + i);
                }
            }
        }
    }

    @Test
    void errorIsWithinHalfAStep() {
        Random rnd = new Random(9);
        float[] v = values(64 * 256, 2, rnd);
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            float[] dq = Quantizer.quantize("w", v, new long[] {64, 256}, f).toFloatArray();
            for (int b = 0; b < v.length / 32; b++) {
                float amax = 0, max = 0;
                for (int j = 0; j < 32; j++) {
                    if (Math.abs(v[32 * b + j]) > amax) {
                        amax = Math.abs(v[32 * b + j]);
                        max = v[32 * b + j];
                    }
                }
                // Half a quantization step, plus the f16 rounding of the scale over the largest code.
                double step = f == WeightFormat.Q8_0 ? amax / 127.0 : amax / 8.0;
                double codes = f == WeightFormat.Q8_0 ? 127 : 8;
                double f16 = codes * step * 0x1p-11 + 1e-30;
                for (int j = 0; j < 32; j++) {
                    int i = 32 * b + j;
                    // Q4_0 codes reach 8 steps on the side of the max but only 7 on the other: beyond that, a clamp.
                    boolean clamped = f == WeightFormat.Q4_0 && v[i] * max < 0 && Math.abs(v[i]) > 7 * step;
                    double bound = (clamped ? step : step / 2) + f16;
                    assertTrue(Math.abs(dq[i] - v[i]) <= bound, f + " element " + i + ": " + v[i] + " -> " + dq[i]);
                }
            }
        }
    }

    @Test
    void quantizesBf16AndF16SourcesAsTheirFloatValues() {
        Random rnd = new Random(2);
        float[] v = values(4 * 64, 0, rnd);
        Tensor bf16 = Tensor.ofBf16("w", v, 4, 64);
        Tensor f16 = Tensor.ofF16("w", v, 4, 64);
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            for (Tensor src : new Tensor[] {bf16, f16}) {
                Tensor expected = Quantizer.quantize("w", src.toFloatArray(), src.shape(), f);
                assertTrue(expected.data().mismatch(Quantizer.quantize(src, f).data()) < 0, f + " from " + src.format());
            }
        }
    }

    @Test
    void rowSplitsGiveTheSameBytes() {
        Random rnd = new Random(3);
        Tensor w = Tensor.ofFloats("w", values(37 * 96, 1, rnd), 37, 96);
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            Tensor serial = Quantizer.quantize(w, f);
            Tensor split = Quantizer.quantize(w, f, (rows, task) -> {
                for (int r = rows; r > 0; r -= 5) task.run(Math.max(0, r - 5), r);   // uneven, out of order
            });
            assertTrue(serial.data().mismatch(split.data()) < 0, f.name());
            assertEquals("w", split.name());
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksStayUnquantized() {
        Tensor w = Tensor.ofFloats("model.layers.0.mlp.down_proj.weight", new float[4 * 100], 4, 100);
        assertFalse(Quantizer.canQuantize(w, WeightFormat.Q8_0));
        assertTrue(Quantizer.canQuantize(Tensor.ofFloats("ok", new float[4 * 64], 4, 64), WeightFormat.Q4_0));
        assertFalse(Quantizer.canQuantize(Tensor.ofFloats("ok", new float[4 * 64], 4, 64), WeightFormat.BF16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(w, WeightFormat.Q8_0));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj.weight") && e.getMessage().contains("32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize(Tensor.ofFloats("ok", new float[64], 2, 32), WeightFormat.F16));
        assertTrue(e.getMessage().contains("not a quantized format"), e.getMessage());
        Tensor ints = new Tensor("ids", DType.I32, new long[] {1, 32}, MemorySegment.ofArray(new byte[128]));
        e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(ints, WeightFormat.Q4_0));
        assertTrue(e.getMessage().contains("ids") && e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void nonFiniteWeightsAreRefusedWithTheirPosition() {
        float[] v = new float[2 * 64];
        v[64 + 7] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantizer.quantize("w.nan", v, new long[] {2, 64}, WeightFormat.Q8_0));
        assertTrue(e.getMessage().contains("w.nan") && e.getMessage().contains("row 1") && e.getMessage().contains("column 7"),
                e.getMessage());
    }

    private static String hex(MemorySegment seg, long offset, int length) {
        return HexFormat.of().formatHex(seg.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
    }
}
