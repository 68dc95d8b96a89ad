package dev.casa.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * How a tensor's values are laid out in bytes, and the kernels that read them: one small class
 * per format. Element formats (F32, F16, BF16) store one value per element; block formats
 * (Q8_0, Q4_0) store blocks of 32 weights that share a scale, in exactly GGML's layout, so a GGUF
 * file can be read without repacking. Any other safetensors dtype is carried as an opaque format
 * that cannot be read as float.
 *
 * <p>A tensor is a sequence of rows along its last dimension; a block never spans two rows, so a
 * block format needs the last dimension to be a multiple of the block size. Tensors whose rows
 * are not whole blocks stay in their element format (see {@link Quantizer#canQuantize}).
 *
 * <p>The matmul kernels dispatch on this type only: {@link #dequantize} feeds the packed GEMM
 * panels (prefill, vision), {@link #prepare} and {@link #dotRows} are the decode GEMV.
 */
public sealed interface WeightFormat permits F32Format, F16Format, Bf16Format, Q8_0Format, Q4_0Format, RawFormat {

    WeightFormat F32 = F32Format.INSTANCE;
    WeightFormat F16 = F16Format.INSTANCE;
    WeightFormat BF16 = Bf16Format.INSTANCE;
    /** 32 weights per block: an f16 scale d, then 32 int8 q; weight = q·d. 34 bytes. */
    WeightFormat Q8_0 = Q8_0Format.INSTANCE;
    /** 32 weights per block: an f16 scale d, then 16 bytes of nibbles; weight = (q − 8)·d. 18 bytes. */
    WeightFormat Q4_0 = Q4_0Format.INSTANCE;

    /** The format of a safetensors tensor of {@code dtype}: F32, F16, BF16, or an opaque one for the rest. */
    static WeightFormat of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            default -> RawFormat.of(dtype);
        };
    }

    /** The float-readable format called {@code name} ("F32", "BF16", "Q8_0", ...), or null if there is none. */
    static WeightFormat named(String name) {
        for (WeightFormat f : new WeightFormat[] {F32, F16, BF16, Q8_0, Q4_0}) {
            if (f.name().equals(name)) return f;
        }
        return null;
    }

    /** The block formats a float tensor can be quantized to. */
    static WeightFormat[] quantizedFormats() {
        return new WeightFormat[] {Q8_0, Q4_0};
    }

    /** "F32", "BF16", "Q8_0", ...: the name in messages and file metadata. */
    String name();

    /** Weights per block: 1 for element formats, 32 for Q8_0 and Q4_0. */
    int blockSize();

    /** Bytes per block. */
    int blockBytes();

    /** The safetensors dtype the bytes are stored as: the element type, or U8 for block formats. */
    DType storage();

    /** Whether the values can be read as floats (every format but the opaque ones). */
    boolean readableAsFloat();

    /** Whether this is a block format (Q8_0, Q4_0). */
    default boolean quantized() { return blockSize() > 1; }

    /**
     * Bytes of {@code count} consecutive weights starting at a block boundary: a row of that many
     * columns, or the byte offset of column {@code count} within a row.
     *
     * @throws IllegalArgumentException if {@code count} is not a whole number of blocks
     */
    default long rowBytes(long count) {
        if (count % blockSize() != 0) {
            throw new IllegalArgumentException(name() + " stores blocks of " + blockSize() + " weights; "
                    + count + " is not a multiple of " + blockSize());
        }
        return Math.multiplyExact(count / blockSize(), (long) blockBytes());
    }

    /**
     * Bytes of a tensor of {@code shape}. Block formats need at least one dimension and a last
     * dimension that is a multiple of the block size.
     *
     * @throws IllegalArgumentException naming the problem (the caller adds the tensor's name)
     */
    default long byteSize(long[] shape) {
        long elements = Tensor.elementCount(shape);
        if (quantized()) {
            if (shape.length == 0) throw new IllegalArgumentException(name() + " needs at least one dimension");
            long cols = shape[shape.length - 1];
            if (cols % blockSize() != 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + ": " + name()
                        + " needs rows (the last dimension, " + cols + ") that are a multiple of " + blockSize());
            }
        }
        return rowBytes(elements);
    }

    /**
     * Weights {@code [index, index + n)} of a row-major tensor, where {@code byteOffset} is the
     * first one's {@link #rowBytes offset}, widened to float32 into {@code dst[dstOffset..]}.
     * Vectorized; exact (every format's values are floats). Block formats need {@code n} and the
     * start to be whole blocks.
     */
    void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset);

    /**
     * Encodes {@code src[srcOffset..+n]} (whole blocks) into this format at {@code dst[dstOffset..]},
     * rounding as GGML's reference quantizer does. Block formats only; see {@link Quantizer}.
     */
    default void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        throw new UnsupportedOperationException(name() + " is not a quantized format");
    }

    /** Weight {@code index} (flat, row-major) as a float. Scalar: not for hot loops. */
    float get(MemorySegment data, long index);

    /** Floats {@link #prepare} writes for an activation row of {@code k} values. */
    default int preparedLength(int k) { return k; }

    /**
     * Activation row {@code x[xOffset..+k]} laid out for {@link #dotRows} into {@code dst[0..]}:
     * once per matmul call and row, so the dot kernel reads it in the order the weights unpack.
     */
    default void prepare(float[] x, int xOffset, int k, float[] dst) {
        System.arraycopy(x, xOffset, dst, 0, k);
    }

    /**
     * The decode GEMV: {@code out[outOffset + j] = W[j]·x} for rows {@code j} in {@code [row0, row1)}
     * of {@code data} (rows of {@code cols} weights, back to back), with {@code x} as written by
     * {@link #prepare}. Reads every weight once, widened in registers; allocation-free.
     */
    void dotRows(MemorySegment data, int cols, int row0, int row1, float[] x, float[] out, int outOffset);
}
