package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Float weights to Q8_0 or Q4_0 blocks, rounding exactly as GGML's reference quantizer
 * ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}), for quantizing at load time or
 * writing a quantized model.
 *
 * <p>Only tensors whose rows (last dimension) are whole blocks of 32 can be quantized: a block
 * never spans two rows, and padding a row would change the matmul's K. Such tensors stay in their
 * loaded format ({@link #canQuantize} says which); in the transformer families we run, every
 * Linear's input dimension is a multiple of 32.
 */
public final class Quantizer {
    private Quantizer() {}

    /** Runs {@code task} over row ranges that together cover {@code [0, rows)}, possibly in parallel. */
    @FunctionalInterface
    public interface RowRunner {
        void forRows(int rows, RowRange task);
    }

    /** Work on rows {@code [start, end)}. */
    @FunctionalInterface
    public interface RowRange {
        void run(int start, int end);
    }

    /** Whether {@code w} can be quantized to {@code format}: readable as float, rows that are whole blocks. */
    public static boolean canQuantize(Tensor w, WeightFormat format) {
        return format.quantized() && w.format().readableAsFloat() && w.rank() >= 1
                && w.dim(w.rank() - 1) % format.blockSize() == 0;
    }

    /** {@code w} quantized to {@code format} (Q8_0 or Q4_0) into fresh off-heap memory, on this thread. */
    public static Tensor quantize(Tensor w, WeightFormat format) {
        return quantize(w, format, (rows, task) -> task.run(0, rows));
    }

    /**
     * {@code w} quantized to {@code format} into fresh off-heap memory (freed when the tensor is
     * unreachable), rows split by {@code runner}, e.g. {@code (n, t) -> pool.parallelFor(n, t::run)}.
     *
     * @throws IllegalArgumentException naming the tensor if it cannot be quantized to {@code format}
     */
    public static Tensor quantize(Tensor w, WeightFormat format, RowRunner runner) {
        check(w, format);
        long[] shape = w.shape();
        int cols = Math.toIntExact(shape[shape.length - 1]);
        int rows = Math.toIntExact(cols == 0 ? 0 : w.size() / cols);
        MemorySegment dst = Arena.ofAuto().allocate(format.byteSize(shape), 64);
        runner.forRows(rows, (start, end) -> quantizeRows(w, start, end, format, dst));
        return new Tensor(w.name(), format, shape, dst);
    }

    /** {@code values} (row-major, shape {@code shape}) quantized to {@code format}. */
    public static Tensor quantize(String name, float[] values, long[] shape, WeightFormat format) {
        return quantize(Tensor.ofFloats(name, values, shape), format);
    }

    /**
     * Rows {@code [start, end)} of {@code w} quantized into their place in {@code dst}, the data of
     * a {@code format} tensor of {@code w}'s shape: for loaders that split the rows themselves.
     */
    public static void quantizeRows(Tensor w, int start, int end, WeightFormat format, MemorySegment dst) {
        check(w, format);
        int cols = Math.toIntExact(w.dim(w.rank() - 1));
        long rowBytes = format.rowBytes(cols);
        long srcRowBytes = w.format().rowBytes(cols);
        float[] row = new float[cols];
        for (int r = start; r < end; r++) {
            w.format().dequantize(w.data(), r * srcRowBytes, cols, row, 0);
            requireFinite(w, r, row);
            format.quantize(row, 0, cols, dst, r * rowBytes);
        }
    }

    /** Every element of a block-format tensor as a float (the values the kernels compute with). */
    public static float[] dequantize(Tensor w) {
        return w.toFloatArray();
    }

    private static void check(Tensor w, WeightFormat format) {
        if (!format.quantized()) {
            throw new IllegalArgumentException("tensor '" + w.name() + "': " + format + " is not a quantized format");
        }
        if (!w.format().readableAsFloat()) {
            throw new IllegalArgumentException("tensor '" + w.name() + "' has dtype " + w.format()
                    + ", which cannot be read as float, so it cannot be quantized");
        }
        if (w.rank() == 0 || w.dim(w.rank() - 1) % format.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + w.name() + "' has shape " + Arrays.toString(w.shape())
                    + ": " + format + " needs rows (the last dimension) that are a multiple of " + format.blockSize()
                    + "; leave it unquantized");
        }
    }

    /** GGML's reference leaves NaN and infinity undefined (C casts out of range); refuse them instead. */
    private static void requireFinite(Tensor w, int row, float[] values) {
        // x·0 is 0 for every finite x and NaN otherwise: one vector pass, the scalar search only on failure.
        FloatVector acc = FloatVector.zero(Simd.F);
        int vec = values.length & -Simd.LANES;
        for (int i = 0; i < vec; i += Simd.LANES) acc = acc.add(FloatVector.fromArray(Simd.F, values, i).mul(0f));
        float tail = 0f;
        for (int i = vec; i < values.length; i++) tail += values[i] * 0f;
        if (!acc.test(VectorOperators.IS_NAN).anyTrue() && tail == 0f) return;
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException("tensor '" + w.name() + "' has " + values[i] + " at row " + row
                        + ", column " + i + "; only finite weights can be quantized");
            }
        }
    }
}
