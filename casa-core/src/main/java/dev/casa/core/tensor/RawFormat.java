package dev.casa.core.tensor;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/** A safetensors dtype the kernels cannot read as float (I64, U8, BOOL, ...): carried, sized, never widened. */
final class RawFormat implements WeightFormat {
    private static final Map<DType, RawFormat> ALL = new EnumMap<>(DType.class);

    static {
        for (DType t : DType.values()) {
            if (!t.readableAsFloat()) ALL.put(t, new RawFormat(t));
        }
    }

    private final DType dtype;

    private RawFormat(DType dtype) { this.dtype = dtype; }

    static RawFormat of(DType dtype) {
        RawFormat f = ALL.get(dtype);
        if (f == null) throw new IllegalArgumentException(dtype + " is readable as float; use WeightFormat.of");
        return f;
    }

    @Override public String name() { return dtype.name(); }
    @Override public int blockSize() { return 1; }
    @Override public int blockBytes() { return dtype.byteSize(); }
    @Override public DType storage() { return dtype; }
    @Override public boolean readableAsFloat() { return false; }
    @Override public String toString() { return name(); }

    @Override
    public void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset) {
        throw unreadable();
    }

    @Override
    public float get(MemorySegment data, long index) {
        throw unreadable();
    }

    @Override
    public void dotRows(MemorySegment data, int cols, int row0, int row1, float[] x, float[] out, int outOffset) {
        throw unreadable();
    }

    private UnsupportedOperationException unreadable() {
        return new UnsupportedOperationException("dtype " + dtype + " cannot be read as float");
    }
}
