package dev.casa.bench.kernels;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Simd;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The decode GEMV design casa-core did not take, kept here to measure it: Q8_0 weights against
 * activations quantized to int8 per block of 32 (llama.cpp's {@code vec_dot_q8_0_q8_0}), with an
 * integer dot product per block. The Vector API has no int8 dot instruction (VNNI
 * {@code vpdpbusd}, {@code pmaddubsw}), so a block is: int8 weights widened to 32 int16 lanes,
 * an int16 multiply, pairs summed into 16 int32 lanes with shifts, to float, times both scales.
 */
final class Q8Int8Activations {
    private Q8Int8Activations() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** 2·LANES shorts: a full vector of int16. */
    private static final VectorSpecies<Short> S2 = VectorSpecies.of(short.class, VectorShape.forBitSize(Simd.F.vectorBitSize()));
    /** 2·LANES bytes. */
    private static final VectorSpecies<Byte> B2 = VectorSpecies.of(byte.class, VectorShape.forBitSize(Simd.F.vectorBitSize() / 2));
    private static final int STEP = S2.length();

    /** Activations quantized like GGML's {@code quantize_row_q8_0}: int8 codes (as int16) and a scale per block. */
    record Quantized(short[] q, float[] d) {}

    static Quantized quantize(float[] x) {
        int blocks = x.length / 32;
        short[] q = new short[x.length];
        float[] d = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            d[b] = amax / 127;
            float id = d[b] != 0 ? 1 / d[b] : 0;
            for (int j = 0; j < 32; j++) q[32 * b + j] = (short) Math.round(x[32 * b + j] * id);
        }
        return new Quantized(q, d);
    }

    /** {@code y = W·x} with the activations quantized once per call, rows split over the pool. */
    static void gemv(ThreadPool pool, Tensor w, float[] x, float[] y) {
        if (w.format() != WeightFormat.Q8_0) throw new IllegalArgumentException("Q8_0 only");
        Quantized xq = quantize(x);
        int n = w.rows(), k = w.cols();
        int rows = 64;
        int ranges = (n + rows - 1) / rows;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(pool.threads(), (c, cs) -> {
            for (int r; (r = next.getAndIncrement()) < ranges; ) {
                dot2(w.data(), k, r * rows, Math.min(n, r * rows + rows), xq, y);
            }
        });
    }

    private static IntVector pairSums(MemorySegment w, long offset, short[] xq, int at) {
        ShortVector wq = (ShortVector) ByteVector.fromMemorySegment(B2, w, offset, LE).convertShape(VectorOperators.B2S, S2, 0);
        IntVector p = wq.mul(ShortVector.fromArray(S2, xq, at)).reinterpretAsInts();   // |q·q| ≤ 16129: no int16 overflow
        return p.lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    /** Two rows at a time (four do not fit C2's inlining budget). */
    private static void dot2(MemorySegment w, int k, int row0, int row1, Quantized xq, float[] out) {
        long rowBytes = k / 32 * 34L;
        int blocks = k / 32;
        int last = row1 - 1;
        for (int j = row0; j < row1; j += 2) {
            long r0 = j * rowBytes, r1 = Math.min(j + 1, last) * rowBytes;
            FloatVector s0 = FloatVector.zero(Simd.F), s1 = s0;
            for (int b = 0; b < blocks; b++) {
                long o = 34L * b;
                IntVector t0 = IntVector.zero(Simd.I), t1 = t0;
                for (int h = 0; h < 32; h += STEP) {
                    t0 = t0.add(pairSums(w, r0 + o + 2 + h, xq.q(), 32 * b + h));
                    t1 = t1.add(pairSums(w, r1 + o + 2 + h, xq.q(), 32 * b + h));
                }
                float dx = xq.d()[b];
                s0 = ((FloatVector) t0.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(Simd.F, Float.float16ToFloat(w.get(I16_LE, r0 + o)) * dx), s0);
                s1 = ((FloatVector) t1.convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.broadcast(Simd.F, Float.float16ToFloat(w.get(I16_LE, r1 + o)) * dx), s1);
            }
            out[j] = s0.reduceLanes(VectorOperators.ADD);
            if (j + 1 < row1) out[j + 1] = s1.reduceLanes(VectorOperators.ADD);
        }
    }
}
