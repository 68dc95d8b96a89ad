package dev.casa.core.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

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

    /** 4 rows at a time: 4 accumulators, 4 memory streams (fewer streams measured far below bandwidth). */
    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = 4L * k;
        int last = row1 - 1;
        for (int j = row0; j < row1; j += 4) {
            // Missing rows repeat the last one: cheap, and keeps the kernel one loop.
            long r0 = j * rowBytes;
            long r1 = Math.min(j + 1, last) * rowBytes;
            long r2 = Math.min(j + 2, last) * rowBytes;
            long r3 = Math.min(j + 3, last) * rowBytes;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int vec = k & -LANES;
            for (int i = 0; i < vec; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                long o = 4L * i;
                s0 = load(w, r0 + o).fma(v, s0);
                s1 = load(w, r1 + o).fma(v, s1);
                s2 = load(w, r2 + o).fma(v, s2);
                s3 = load(w, r3 + o).fma(v, s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD);
            float d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int i = vec; i < k; i++) {
                float v = x[i];
                long o = 4L * i;
                d0 += w.get(F32_LE, r0 + o) * v;
                d1 += w.get(F32_LE, r1 + o) * v;
                d2 += w.get(F32_LE, r2 + o) * v;
                d3 += w.get(F32_LE, r3 + o) * v;
            }
            Rows.store4(out, outOffset, j, row1, d0, d1, d2, d3);
        }
    }
}
