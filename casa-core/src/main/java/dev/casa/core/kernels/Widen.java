package dev.casa.core.kernels;

import dev.casa.core.tensor.Simd;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import jdk.incubator.vector.VectorSpecies;

/**
 * Weights to float32: the packing seam of the GEMM and the row copies. The format of the tensor
 * does the work ({@link WeightFormat#dequantize}); this class holds the vector shape the matmul
 * kernels share.
 */
public final class Widen {
    private Widen() {}

    /** See {@link Simd#F}: 256-bit on AVX2, 512-bit on AVX-512. */
    static final VectorSpecies<Float> F = Simd.F;
    /** Floats per vector. */
    static final int LANES = Simd.LANES;

    /**
     * Elements {@code [index, index + length)} of {@code w} (flat, row-major) widened into
     * {@code out[outOffset..]}: vectorized, for packing weight panels and copying rows. For a
     * block format, {@code index} and {@code length} must be whole blocks.
     */
    public static void toFloats(Tensor w, long index, float[] out, int outOffset, int length) {
        WeightFormat f = w.format();
        if (!f.readableAsFloat()) throw unsupported(w);
        f.dequantize(w.data(), f.rowBytes(index), length, out, outOffset);
    }

    static IllegalArgumentException unsupported(Tensor w) {
        return new IllegalArgumentException("tensor '" + w.name() + "' has dtype " + w.format()
                + "; matmul weights must be F32, BF16, F16, Q8_0 or Q4_0");
    }
}
