package dev.casa.core.kernels;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vectorized F16/BF16 widening against the JDK's scalar conversion, for every bit pattern. */
class WidenTest {
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ALL = 1 << 16;

    private static Tensor allPatterns(DType dtype) {
        // One extra element so the last few go through the scalar tail as well as the vector loop.
        MemorySegment seg = MemorySegment.ofArray(new byte[(ALL + 3) * 2]);
        for (int i = 0; i < ALL + 3; i++) seg.set(I16_LE, 2L * i, (short) i);
        return new Tensor("all", dtype, new long[] {ALL + 3}, seg);
    }

    @Test
    void f16EveryBitPatternMatchesFloat16ToFloat() {
        float[] out = new float[ALL + 3];
        // Start at 3 so vector loads are misaligned and the patterns cross the vector/tail boundary.
        Widen.toFloats(allPatterns(DType.F16), 0, out, 0, ALL + 3);
        for (int i = 0; i < ALL + 3; i++) {
            float expected = Float.float16ToFloat((short) i);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(out[i]), "F16 0x" + Integer.toHexString(i & 0xFFFF) + " must be NaN");
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[i]),
                        "F16 0x" + Integer.toHexString(i & 0xFFFF) + ": expected " + expected + ", got " + out[i]);
            }
        }
    }

    @Test
    void f16NamedEdgeCases() {
        short[] bits = {0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, (short) 0xFC00, 0x7E00, (short) 0x8000,
                (short) 0x8001, 0x3C00, (short) 0xC000, 0x3555};
        float[] expected = {0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, 65504f, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NaN, -0f, -0x1p-24f, 1f, -2f, 0.333251953125f};
        MemorySegment seg = MemorySegment.ofArray(new byte[16 * 2]);
        for (int i = 0; i < bits.length; i++) seg.set(I16_LE, 2L * i, bits[i]);
        float[] out = new float[16];
        Widen.toFloats(new Tensor("edges", DType.F16, new long[] {16}, seg), 0, out, 0, 16);
        for (int i = 0; i < bits.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(out[i]),
                    "F16 0x" + Integer.toHexString(bits[i] & 0xFFFF));
        }
    }

    @Test
    void bf16EveryBitPatternIsTheTopHalfOfAFloat() {
        float[] out = new float[ALL + 3];
        Widen.toFloats(allPatterns(DType.BF16), 0, out, 0, ALL + 3);
        for (int i = 0; i < ALL + 3; i++) {
            assertEquals((i & 0xFFFF) << 16, Float.floatToRawIntBits(out[i]), "BF16 0x" + Integer.toHexString(i));
        }
    }
}
