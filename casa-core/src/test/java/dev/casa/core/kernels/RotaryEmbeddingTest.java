package dev.casa.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.casa.core.nn.RotaryEmbedding;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rotary strategies against {@link ReferenceKernels#rope} (HF float32 angles, double rotation): 1-D RoPE in
 * both pairings, M-RoPE (each frequency at its section's axis), llama3 frequencies against HF's formula
 * transcribed in double.
 */
class RotaryEmbeddingTest {
    private static final double EPS = Math.ulp(1f);

    private static void rotate(RotaryEmbedding rope, float[] x, int off, int heads, int[] pos) {
        int half = rope.tableWidth();
        float[] cos = new float[half], sin = new float[half];
        rope.table(pos, 0, 1, cos, sin, 0);
        rope.rotate(x, off, heads, cos, sin, 0);
    }

    @ParameterizedTest
    @CsvSource({"8, INTERLEAVED", "12, HALF", "36, INTERLEAVED", "64, HALF", "128, INTERLEAVED", "128, HALF", "2, HALF"})
    void oneDimensionalMatchesTheReference(int headDim, RopeStyle style) {
        RotaryEmbedding rope = RotaryEmbedding.oneD(headDim, RotaryEmbedding.defaultInvFreq(headDim, 100000.0), style);
        Random rnd = new Random(headDim);
        int heads = 3;
        for (int pos : new int[] {0, 1, 7, 100, 1000, 4095, 4096, 5000, 100_000}) {
            float[] x = new float[2 + heads * headDim];
            for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 4 - 2;
            float[] before = x.clone();
            rotate(rope, x, 2, heads, new int[] {pos});
            for (int h = 0; h < heads; h++) {
                double[] ref = ReferenceKernels.rope(before, 2 + h * headDim, headDim, pos, 100000.0, style == RopeStyle.INTERLEAVED);
                for (int d = 0; d < headDim; d++) {
                    // cos, sin rounded to float (½ulp each), two products and a sum: ≤ 3ε·(|a| + |b|) ≤ 12ε
                    double got = x[2 + h * headDim + d];
                    if (!(Math.abs(got - ref[d]) <= 12 * EPS)) {
                        fail(style + " hd=" + headDim + " pos=" + pos + " head " + h + " dim " + d + ": got " + got + " want " + ref[d]);
                    }
                }
            }
            assertEquals(before[0], x[0]);
            assertEquals(before[1], x[1]);
        }
    }

    @Test
    void tableRowsAndRowByRowRotationAgree() {
        int headDim = 64, heads = 2, rows = 9, stride = heads * headDim + 3;
        RotaryEmbedding rope = RotaryEmbedding.oneD(headDim, RotaryEmbedding.defaultInvFreq(headDim, 10000.0), RopeStyle.HALF);
        Random rnd = new Random(5);
        float[] x = new float[rows * stride];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
        float[] y = x.clone();
        int[] pos = new int[rows];
        for (int r = 0; r < rows; r++) pos[r] = 2000 + r;
        float[] cos = new float[rows * headDim / 2], sin = new float[cos.length];
        rope.table(pos, 0, rows, cos, sin, 0);
        rope.rotateRows(x, 0, stride, rows, heads, cos, sin, 0);
        for (int r = 0; r < rows; r++) rotate(rope, y, r * stride, heads, new int[] {pos[r]});
        assertArrayEquals(y, x);
        float[] c1 = new float[headDim / 2], s1 = new float[headDim / 2];
        rope.tableRow(2003, c1, s1, 0);
        assertArrayEquals(java.util.Arrays.copyOfRange(cos, 3 * headDim / 2, 4 * headDim / 2), c1);
    }

    /** M-RoPE: frequency k rotates by the position of its section's axis (HF apply_multimodal_rotary_pos_emb). */
    @Test
    void multimodalRopeReadsEachSectionsAxis() {
        int headDim = 16, heads = 2;
        int[] sections = {2, 3, 3};
        RotaryEmbedding rope = RotaryEmbedding.oneD(headDim, RotaryEmbedding.defaultInvFreq(headDim, 1e6), RopeStyle.HALF)
                .withSections(sections);
        assertEquals(3, rope.axes());
        Random rnd = new Random(3);
        int[] pos = {5, 17, 40};
        float[] x = new float[heads * headDim];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2 - 1;
        float[] before = x.clone();
        rotate(rope, x, 0, heads, pos);
        int[] axisOf = {0, 0, 1, 1, 1, 2, 2, 2};
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < headDim / 2; k++) {
                // the pair (k, k + hd/2) is the reference's rotation at its axis's position
                double[] ref = ReferenceKernels.rope(before, h * headDim, headDim, pos[axisOf[k]], 1e6, false);
                for (int d : new int[] {k, k + headDim / 2}) {
                    if (!(Math.abs(x[h * headDim + d] - ref[d]) <= 12 * EPS)) fail("head " + h + " dim " + d + ": " + x[h * headDim + d] + " vs " + ref[d]);
                }
            }
        }
        // equal axes are plain 1-D RoPE
        float[] y = before.clone(), z = before.clone();
        rotate(rope, y, 0, heads, new int[] {9, 9, 9});
        rotate(RotaryEmbedding.oneD(headDim, RotaryEmbedding.defaultInvFreq(headDim, 1e6), RopeStyle.HALF), z, 0, heads, new int[] {9});
        assertArrayEquals(z, y);
        assertThrows(IllegalArgumentException.class, () -> rope.withSections(new int[] {2, 3, 2}));
    }

    /** HF's _compute_llama3_parameters, transcribed in double. */
    @Test
    void llama3FrequenciesFollowHf() {
        int dim = 64;
        double theta = 500000, factor = 8, low = 1, high = 4;
        int original = 8192;
        float[] got = RotaryEmbedding.llama3InvFreq(dim, theta, factor, low, high, original);
        for (int k = 0; k < dim / 2; k++) {
            double inv = 1.0 / Math.pow(theta, 2.0 * k / dim);
            double wavelen = 2 * Math.PI / inv;
            double expected;
            if (wavelen < original / high) {
                expected = inv;
            } else if (wavelen > original / low) {
                expected = inv / factor;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                expected = (1 - smooth) * inv / factor + smooth * inv;
            }
            assertEquals(expected, got[k], 4 * Math.ulp((float) expected), "k=" + k);
        }
    }

    @Test
    void visionRotaryUsesRowsThenColumns() {
        int headDim = 8;
        RotaryEmbedding v = RotaryEmbedding.vision2d(headDim, 10000.0);
        assertEquals(2, v.axes());
        float[] cos = new float[headDim / 2], sin = new float[headDim / 2];
        v.table(new int[] {3, 7}, 0, 1, cos, sin, 0);
        float[] inv = RotaryEmbedding.defaultInvFreq(headDim / 2, 10000.0);
        for (int k = 0; k < headDim / 4; k++) {
            assertEquals((float) Math.cos(3f * inv[k]), cos[k]);
            assertEquals((float) Math.cos(7f * inv[k]), cos[headDim / 4 + k]);
        }
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.vision2d(6, 10000.0));
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.oneD(7, new float[3], RopeStyle.HALF));
    }
}
