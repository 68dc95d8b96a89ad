package dev.casa.core.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Formats as types: names, sizes, the GGML block layouts written by hand, and the errors. */
class WeightFormatTest {

    /** The avx2-shapes test run sets {@code casa.test.lanes=8}: check it really runs 256-bit vectors. */
    @Test
    void vectorShapeIsTheOneTheRunAskedFor() {
        String lanes = System.getProperty("casa.test.lanes");
        if (lanes != null) assertEquals(Integer.parseInt(lanes), Simd.LANES);
        assertEquals(Simd.LANES, Simd.B.length());
        assertEquals(Simd.LANES, Simd.S.length());
    }

    @Test
    void namesSizesAndStorage() {
        assertSame(WeightFormat.F32, WeightFormat.of(DType.F32));
        assertSame(WeightFormat.BF16, WeightFormat.of(DType.BF16));
        assertSame(WeightFormat.F16, WeightFormat.named("F16"));
        assertSame(WeightFormat.Q8_0, WeightFormat.named("Q8_0"));
        assertSame(WeightFormat.Q4_0, WeightFormat.named("Q4_0"));
        assertNull(WeightFormat.named("Q4_K"));
        assertNull(WeightFormat.named("I64"));   // opaque dtypes are not weight formats
        assertEquals(DType.U8, WeightFormat.Q8_0.storage());
        assertEquals(34, WeightFormat.Q8_0.blockBytes());
        assertEquals(18, WeightFormat.Q4_0.blockBytes());
        assertEquals(32, WeightFormat.Q4_0.blockSize());
        assertEquals(4096 / 32 * 34, WeightFormat.Q8_0.rowBytes(4096));
        assertEquals(2 * 4096, WeightFormat.BF16.rowBytes(4096));
        assertEquals(3L * 64 / 32 * 18, WeightFormat.Q4_0.byteSize(new long[] {3, 64}));
        assertThrows(IllegalArgumentException.class, () -> WeightFormat.Q4_0.rowBytes(48));
        WeightFormat i64 = WeightFormat.of(DType.I64);
        assertFalse(i64.readableAsFloat());
        assertEquals(DType.I64, i64.storage());
        assertEquals(24, i64.byteSize(new long[] {3}));
    }

    @Test
    void q8BlockLayoutByHand() {
        // Two blocks: d = 0.5 (f16 0x3800), q = j - 16; d = -2 (0xC000), q = 127, -128, 0, ...
        MemorySegment seg = MemorySegment.ofArray(new byte[68]);
        seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x00);
        seg.set(ValueLayout.JAVA_BYTE, 1, (byte) 0x38);
        for (int j = 0; j < 32; j++) seg.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j - 16));
        seg.set(ValueLayout.JAVA_BYTE, 34, (byte) 0x00);
        seg.set(ValueLayout.JAVA_BYTE, 35, (byte) 0xC0);
        seg.set(ValueLayout.JAVA_BYTE, 36, (byte) 127);
        seg.set(ValueLayout.JAVA_BYTE, 37, (byte) -128);
        Tensor t = new Tensor("q8", WeightFormat.Q8_0, new long[] {64}, seg);
        float[] v = t.toFloatArray();
        for (int j = 0; j < 32; j++) assertEquals((j - 16) * 0.5f, v[j], "element " + j);
        assertEquals(-254f, v[32]);
        assertEquals(256f, v[33]);
        assertEquals(-0f, v[34]);   // 0 · −2
        assertEquals(DType.U8, t.dtype());
    }

    @Test
    void q4BlockLayoutByHand() {
        // d = 0.25 (f16 0x3400); byte j = (15 - j) << 4 | j: weight j = (j - 8)/4, weight j+16 = (7 - j)/4.
        MemorySegment seg = MemorySegment.ofArray(new byte[18]);
        seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x00);
        seg.set(ValueLayout.JAVA_BYTE, 1, (byte) 0x34);
        for (int j = 0; j < 16; j++) seg.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) ((15 - j) << 4 | j));
        Tensor t = new Tensor("q4", WeightFormat.Q4_0, new long[] {1, 32}, seg);
        for (int j = 0; j < 16; j++) {
            assertEquals((j - 8) * 0.25f, t.getFloat(j), "low nibble " + j);
            assertEquals((7 - j) * 0.25f, t.getFloat(16 + j), "high nibble " + j);
        }
    }

    @Test
    void wrongByteCountNamesTheTensorAndBothSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("lm_head.weight", WeightFormat.Q8_0, new long[] {3, 64}, MemorySegment.ofArray(new byte[200])));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("200")
                && e.getMessage().contains("204") && e.getMessage().contains("Q8_0"), e.getMessage());
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRejectedWithTheTensorName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("proj.weight", WeightFormat.Q4_0, new long[] {2, 40}, MemorySegment.ofArray(new byte[45])));
        assertTrue(e.getMessage().contains("proj.weight") && e.getMessage().contains("multiple of 32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Tensor("scalar", WeightFormat.Q4_0, new long[0], MemorySegment.ofArray(new byte[18])));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }

    @Test
    void opaqueDtypesCannotBeReadAsFloat() {
        Tensor ids = new Tensor("ids", DType.I64, new long[] {2}, MemorySegment.ofArray(new byte[16]));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> ids.getFloat(0));
        assertTrue(e.getMessage().contains("ids") && e.getMessage().contains("I64"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, ids::toFloatArray);
    }
}
