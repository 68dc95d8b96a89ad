package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import static dev.casa.core.tensor.Simd.F;
import static dev.casa.core.tensor.Simd.I;
import static dev.casa.core.tensor.Simd.LANES;
import static dev.casa.core.tensor.Simd.S;

/** Little-endian IEEE half precision, widened exactly to float32 in registers. */
final class F16Format implements WeightFormat {
    static final F16Format INSTANCE = new F16Format();

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** 2^-24: the value of one F16 subnormal step. */
    private static final float F16_SUBNORMAL_STEP = 0x1p-24f;

    private F16Format() {}

    @Override public String name() { return "F16"; }
    @Override public int blockSize() { return 1; }
    @Override public int blockBytes() { return 2; }
    @Override public DType storage() { return DType.F16; }
    @Override public boolean readableAsFloat() { return true; }
    @Override public String toString() { return name(); }

    @Override
    public void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset) {
        int vec = n & -LANES;
        for (int i = 0; i < vec; i += LANES) load(data, byteOffset + 2L * i).intoArray(dst, dstOffset + i);
        for (int i = vec; i < n; i++) dst[dstOffset + i] = scalar(data, byteOffset, i);
    }

    @Override
    public float get(MemorySegment data, long index) {
        return Float.float16ToFloat(data.get(I16_LE, 2 * index));
    }

    private static float scalar(MemorySegment w, long row, int i) {
        return Float.float16ToFloat(w.get(I16_LE, row + 2L * i));
    }

    /** {@link Simd#LANES} F16 weights starting at byte {@code offset}. */
    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        return toFloat((IntVector) h.convertShape(VectorOperators.S2I, I, 0));
    }

    /**
     * IEEE half bits (low 16 bits of each lane) to float32, exact for every input. Normal values
     * rebias the exponent (+112); Inf/NaN get the all-ones exponent (payload kept); zero and
     * subnormals are {@code mantissa * 2^-24}, computed from an int so no float op sees a
     * subnormal input (those take slow microcode paths).
     */
    static FloatVector toFloat(IntVector h) {
        IntVector magnitude = h.and(0x7FFF);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector bits = magnitude.lanewise(VectorOperators.LSHL, 13).add(0x38000000);
        VectorMask<Integer> infOrNan = magnitude.compare(VectorOperators.GE, 0x7C00);
        bits = bits.add(0x38000000, infOrNan);
        VectorMask<Integer> subnormal = magnitude.compare(VectorOperators.LT, 0x0400);
        IntVector small = ((FloatVector) magnitude.convert(VectorOperators.I2F, 0))
                .mul(F16_SUBNORMAL_STEP).reinterpretAsInts();
        bits = bits.blend(small, subnormal);
        return bits.or(sign).reinterpretAsFloats();
    }

    /**
     * Widens 4 row pieces of {@link Rows#CHUNK} weights into a small float panel (L1), then dots
     * the panel: the exact F16 conversion is a dozen vector operations, and C2 stops inlining
     * once a method's IR passes a fixed node count, so even two rows converted inside the dot loop
     * were not fully inlined (boxed vectors, ~10x slower). Here each loop holds one conversion.
     */
    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = 2L * k;
        int last = row1 - 1;
        int span = Rows.span(row0, row1, 4);
        float[] panel = Rows.panel();
        float[] d = Rows.partials();
        for (int first = row0; first < row0 + span; first++) {
            Arrays.fill(d, 0, 4, 0f);
            for (int k0 = 0; k0 < k; k0 += Rows.CHUNK) {
                int kc = Math.min(Rows.CHUNK, k - k0);
                for (int q = 0; q < 4; q++) {
                    dequantize(w, Rows.offset(first, q, span, last, rowBytes) + 2L * k0, kc, panel, q * Rows.CHUNK);
                }
                Rows.dotPanel(panel, x, k0, kc, d);
            }
            Rows.store(out, outOffset, first, span, last, d, 4);
        }
    }
}
