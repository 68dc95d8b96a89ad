package dev.casa.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A read-only, typed view of little-endian bytes: a weight in a memory-mapped safetensors file
 * or a heap array. Row-major; a Linear weight is {@code [out, in]}. The {@link WeightFormat}
 * says how the bytes hold the values (an element type, or GGML blocks for Q8_0/Q4_0) and sizes
 * the tensor: a Q8_0 tensor {@code [rows, cols]} is {@code rows × cols/32} blocks of 34 bytes.
 */
public record Tensor(String name, WeightFormat format, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        shape = shape.clone();
        long expected;
        try {
            expected = format.byteSize(shape);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize()
                    + " bytes for shape " + Arrays.toString(shape) + " of " + format + " (expected " + expected + ")");
        }
    }

    /** A tensor of a safetensors {@code dtype} (F32/F16/BF16 readable as float; any other carried as bytes). */
    public Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this(name, WeightFormat.of(dtype), shape, data);
    }

    /** The safetensors dtype of the bytes: the element type, or U8 for a block format. */
    public DType dtype() { return format.storage(); }

    /** A float32 tensor over a copy-free heap segment of {@code values}. */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) seg.set(F32_LE, 4L * i, values[i]);
        return new Tensor(name, DType.F32, shape, seg);
    }

    /** A BF16 tensor holding {@code values} rounded to nearest even. */
    public static Tensor ofBf16(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) seg.set(I16_LE, 2L * i, Numbers.floatToBf16(values[i]));
        return new Tensor(name, DType.BF16, shape, seg);
    }

    /** An F16 tensor holding {@code values} rounded to nearest even. */
    public static Tensor ofF16(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 2]);
        for (int i = 0; i < values.length; i++) seg.set(I16_LE, 2L * i, Float.floatToFloat16(values[i]));
        return new Tensor(name, DType.F16, shape, seg);
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i]; }

    public long size() { return elementCount(shape); }

    /** Rows of a 2-D tensor (the output features of a Linear weight). */
    public int rows() { requireRank(2); return Math.toIntExact(shape[0]); }

    /** Columns of a 2-D tensor (the input features of a Linear weight). */
    public int cols() { requireRank(2); return Math.toIntExact(shape[1]); }

    private void requireRank(int r) {
        if (shape.length != r) {
            throw new IllegalStateException("tensor '" + name + "' has shape " + Arrays.toString(shape) + ", expected rank " + r);
        }
    }

    /** Element {@code index} (flat, row-major) widened (or dequantized) to float. Scalar: not for hot loops. */
    public float getFloat(long index) {
        requireFloats();
        return format.get(data, index);
    }

    /** All elements widened (or dequantized) to a new float array: small tensors, tests, accuracy reports. */
    public float[] toFloatArray() {
        requireFloats();
        int n = Math.toIntExact(size());
        float[] out = new float[n];
        format.dequantize(data, 0, n, out, 0);
        return out;
    }

    /** Row {@code row} of a 2-D tensor widened (or dequantized) into {@code out[outOffset..]}. */
    public void copyRow(int row, float[] out, int outOffset) {
        requireFloats();
        int c = cols();
        if (row < 0 || row >= rows()) {
            throw new IndexOutOfBoundsException("tensor '" + name + "': row " + row + " of " + rows());
        }
        format.dequantize(data, row * format.rowBytes(c), c, out, outOffset);
    }

    private void requireFloats() {
        if (!format.readableAsFloat()) {
            throw new UnsupportedOperationException(
                    "tensor '" + name + "' has dtype " + format + ", which cannot be read as float");
        }
    }

    @Override
    public String toString() {
        return "Tensor[" + name + ", " + format + ", " + Arrays.toString(shape) + "]";
    }

    @Override
    public boolean equals(Object o) { return this == o; }

    @Override
    public int hashCode() { return System.identityHashCode(this); }
}
