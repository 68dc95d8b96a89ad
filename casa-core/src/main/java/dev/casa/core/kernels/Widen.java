package dev.casa.core.kernels;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Loads a vector of weights at a time from little-endian F32/BF16/F16 bytes and widens them to float32 in
 * registers. There is no native half-precision arithmetic here, so every kernel converts on load.
 */
public final class Widen {
    private Widen() {}

    /**
     * The widest float vector the CPU runs natively (256-bit on AVX2, 512-bit on AVX-512), capped
     * at 512 bits; the 16-bit weights are loaded as half-width short vectors with the same lanes.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.vectorBitSize() > 512
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Floats per vector. */
    static final int LANES = F.length();

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** 2^-24: the value of one F16 subnormal step. */
    private static final float F16_SUBNORMAL_STEP = 0x1p-24f;

    /** {@link #LANES} float32 weights starting at byte {@code offset}. */
    static FloatVector f32(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(F, w, offset, LE);
    }

    /** {@link #LANES} BF16 weights starting at byte {@code offset}: BF16 is the top half of a float32. */
    static FloatVector bf16(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        return ((IntVector) h.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** {@link #LANES} F16 weights starting at byte {@code offset}. */
    static FloatVector f16(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, LE);
        return f16ToFloat((IntVector) h.convertShape(VectorOperators.S2I, I, 0));
    }

    /**
     * IEEE half bits (low 16 bits of each lane) to float32, exact for every input. Normal values
     * rebias the exponent (+112); Inf/NaN get the all-ones exponent (payload kept); zero and
     * subnormals are {@code mantissa * 2^-24}, computed from an int so no float op sees a
     * subnormal input (those take slow microcode paths).
     */
    static FloatVector f16ToFloat(IntVector h) {
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

    /** Element {@code i} of the F32 row starting at byte {@code row}: for loop tails. */
    static float scalarF32(MemorySegment w, long row, int i) {
        return w.get(F32_LE, row + 4L * i);
    }

    static float scalarBf16(MemorySegment w, long row, int i) {
        return Float.intBitsToFloat(w.get(I16_LE, row + 2L * i) << 16);
    }

    static float scalarF16(MemorySegment w, long row, int i) {
        return Float.float16ToFloat(w.get(I16_LE, row + 2L * i));
    }

    /**
     * Elements {@code [index, index + length)} of {@code w} (flat, row-major) widened into
     * {@code out[outOffset..]}: vectorized, for packing weight panels and copying rows.
     */
    public static void toFloats(Tensor w, long index, float[] out, int outOffset, int length) {
        MemorySegment seg = w.data();
        int vec = length & -LANES;
        switch (w.dtype()) {
            case F32 -> {
                long base = index * 4;
                for (int i = 0; i < vec; i += LANES) f32(seg, base + 4L * i).intoArray(out, outOffset + i);
                for (int i = vec; i < length; i++) out[outOffset + i] = seg.get(F32_LE, base + 4L * i);
            }
            case BF16 -> {
                long base = index * 2;
                for (int i = 0; i < vec; i += LANES) bf16(seg, base + 2L * i).intoArray(out, outOffset + i);
                for (int i = vec; i < length; i++) {
                    out[outOffset + i] = Float.intBitsToFloat(seg.get(I16_LE, base + 2L * i) << 16);
                }
            }
            case F16 -> {
                long base = index * 2;
                for (int i = 0; i < vec; i += LANES) f16(seg, base + 2L * i).intoArray(out, outOffset + i);
                for (int i = vec; i < length; i++) {
                    out[outOffset + i] = Float.float16ToFloat(seg.get(I16_LE, base + 2L * i));
                }
            }
            default -> throw unsupported(w);
        }
    }

    static IllegalArgumentException unsupported(Tensor w) {
        return new IllegalArgumentException("tensor '" + w.name() + "' has dtype " + w.dtype()
                + "; matmul weights must be F32, BF16 or F16");
    }

    static boolean supported(DType dtype) {
        return dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16;
    }
}
