package dev.casa.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An array read from a {@code .npy} file: its NumPy dtype ({@code descr}, e.g. {@code <f4}), its
 * C-order shape and its little-endian bytes, with conversions to Java arrays.
 */
public final class NpyArray {
    private final String descr;
    private final long[] shape;
    private final ByteBuffer data;

    NpyArray(String descr, long[] shape, ByteBuffer data) {
        this.descr = descr;
        this.shape = shape.clone();
        this.data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The NumPy type string, e.g. {@code <f4}, {@code <i8}, {@code |u1}. */
    public String descr() { return descr; }

    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    /** Number of elements (1 for a 0-d array). */
    public int size() { return data.capacity() / itemSize(descr); }

    /** True for the floating-point dtypes ({@code f2, f4, f8}). */
    public boolean isFloatingPoint() { return descr.charAt(1) == 'f'; }

    /** All elements as float32 (integers are converted, which rounds beyond 2^24). */
    public float[] toFloats() {
        int n = size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) element(i);
        return out;
    }

    /** All elements as float64. */
    public double[] toDoubles() {
        int n = size();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = element(i);
        return out;
    }

    /** All elements as longs; only for integer and bool dtypes ({@code <u8} above 2^63 wraps). */
    public long[] toLongs() {
        if (isFloatingPoint()) {
            throw new IllegalStateException("array of dtype " + descr + " cannot be read as integers");
        }
        int n = size();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = integer(i);
        return out;
    }

    private double element(int i) {
        return switch (descr.substring(1)) {
            case "f2" -> Float.float16ToFloat(data.getShort(2 * i));
            case "f4" -> data.getFloat(4 * i);
            case "f8" -> data.getDouble(8 * i);
            case "u8" -> unsignedToDouble(data.getLong(8 * i));
            default -> integer(i);
        };
    }

    private static double unsignedToDouble(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    private long integer(int i) {
        return switch (descr.substring(1)) {
            case "b1", "u1" -> data.get(i) & 0xFF;
            case "i1" -> data.get(i);
            case "i2" -> data.getShort(2 * i);
            case "u2" -> data.getShort(2 * i) & 0xFFFF;
            case "i4" -> data.getInt(4 * i);
            case "u4" -> data.getInt(4 * i) & 0xFFFF_FFFFL;
            case "i8", "u8" -> data.getLong(8 * i);
            default -> throw new IllegalStateException("array of dtype " + descr + " cannot be read as integers");
        };
    }

    /** Bytes per element of a supported dtype string, or -1. */
    static int itemSize(String descr) {
        return switch (descr) {
            case "|b1", "|i1", "|u1" -> 1;
            case "<f2", "<i2", "<u2" -> 2;
            case "<f4", "<i4", "<u4" -> 4;
            case "<f8", "<i8", "<u8" -> 8;
            default -> -1;
        };
    }

    @Override
    public String toString() {
        return "NpyArray[" + descr + ", " + Arrays.toString(shape) + "]";
    }
}
