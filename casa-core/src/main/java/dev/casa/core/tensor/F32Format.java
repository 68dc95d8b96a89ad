package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.casa.core.tensor.Simd.F;
import static dev.casa.core.tensor.Simd.LANES;

/** Little-endian IEEE float32. */
final class F32Format implements WeightFormat {
    static final F32Format INSTANCE = new F32Format();

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    private F32Format() {}

    @Override public String name() { return "F32"; }
    @Override public int blockSize() { return 1; }
    @Override public int blockBytes() { return 4; }
    @Override public DType storage() { return DType.F32; }
    @Override public boolean readableAsFloat() { return true; }
    @Override public String toString() { return name(); }

    @Override
    public void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset) {
        int vec = n & -LANES;
        for (int i = 0; i < vec; i += LANES) load(data, byteOffset + 4L * i).intoArray(dst, dstOffset + i);
        for (int i = vec; i < n; i++) dst[dstOffset + i] = data.get(F32_LE, byteOffset + 4L * i);
    }

    @Override
    public float get(MemorySegment data, long index) {
        return data.get(F32_LE, 4 * index);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(F, w, offset, LE);
    }

    /** 4 rows at a time: 4 accumulators, 4 memory streams (see {@link Rows#span}). */
    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = 4L * k;
        int last = row1 - 1;
        int vec = k & -LANES;
        int span = Rows.span(row0, row1, 4);
        float[] d = Rows.partials();
        for (int first = row0; first < row0 + span; first++) {
            long r0 = Rows.offset(first, 0, span, last, rowBytes);
            long r1 = Rows.offset(first, 1, span, last, rowBytes);
            long r2 = Rows.offset(first, 2, span, last, rowBytes);
            long r3 = Rows.offset(first, 3, span, last, rowBytes);
            dot4(w, r0, r1, r2, r3, x, vec, d);
            Rows.reduce(d, 4);
            for (int i = vec; i < k; i++) {
                float v = x[i];
                long o = 4L * i;
                d[0] += w.get(F32_LE, r0 + o) * v;
                d[1] += w.get(F32_LE, r1 + o) * v;
                d[2] += w.get(F32_LE, r2 + o) * v;
                d[3] += w.get(F32_LE, r3 + o) * v;
            }
            Rows.store(out, outOffset, first, span, last, d, 4);
        }
    }

    /** The vector part, apart from the group loop and the tail so C2 inlines all of it (see {@link Q8_0Format}). */
    private static void dot4(MemorySegment w, long r0, long r1, long r2, long r3, float[] x, int vec, float[] d) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int i = 0; i < vec; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            long o = 4L * i;
            s0 = load(w, r0 + o).fma(v, s0);
            s1 = load(w, r1 + o).fma(v, s1);
            s2 = load(w, r2 + o).fma(v, s2);
            s3 = load(w, r3 + o).fma(v, s3);
        }
        s0.intoArray(d, 0);
        s1.intoArray(d, 1 * LANES);
        s2.intoArray(d, 2 * LANES);
        s3.intoArray(d, 3 * LANES);
    }
}
