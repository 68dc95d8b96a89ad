package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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

    /** 4 rows at a time, like {@link F32Format#dotRows}. */
    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = 2L * k;
        int last = row1 - 1;
        for (int j = row0; j < row1; j += 4) {
            long r0 = j * rowBytes;
            long r1 = Math.min(j + 1, last) * rowBytes;
            long r2 = Math.min(j + 2, last) * rowBytes;
            long r3 = Math.min(j + 3, last) * rowBytes;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int vec = k & -LANES;
            for (int i = 0; i < vec; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                long o = 2L * i;
                s0 = load(w, r0 + o).fma(v, s0);
                s1 = load(w, r1 + o).fma(v, s1);
                s2 = load(w, r2 + o).fma(v, s2);
                s3 = load(w, r3 + o).fma(v, s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD);
            float d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int i = vec; i < k; i++) {
                float v = x[i];
                d0 += scalar(w, r0, i) * v;
                d1 += scalar(w, r1, i) * v;
                d2 += scalar(w, r2, i) * v;
                d3 += scalar(w, r3, i) * v;
            }
            Rows.store4(out, outOffset, j, row1, d0, d1, d2, d3);
        }
    }
}
