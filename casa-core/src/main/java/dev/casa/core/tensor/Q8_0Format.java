package dev.casa.core.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.casa.core.tensor.Simd.B;
import static dev.casa.core.tensor.Simd.F;
import static dev.casa.core.tensor.Simd.I;
import static dev.casa.core.tensor.Simd.LANES;

/**
 * GGML's {@code block_q8_0}: 32 weights as a little-endian f16 scale {@code d} followed by 32
 * int8 {@code q}; weight {@code j} is {@code q[j]·d}. 34 bytes per block (8.5 bits per weight).
 *
 * <p>Decode keeps the activations in float32 and widens the int8 weights in registers (int8 to
 * float, one FMA per {@link Simd#LANES} weights, the block's scale applied once per block). See
 * {@code docs/quantization.md} for why this beats quantizing the activations to int8 with the
 * Vector API (it has no int8 dot-product instruction).
 */
final class Q8_0Format implements WeightFormat {
    static final Q8_0Format INSTANCE = new Q8_0Format();

    static final int BLOCK = 32;
    static final int BYTES = 34;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /**
     * Rows per decode step (memory streams; 4 read 10.6 GB/s per busy core from DRAM against 8.3
     * for 2). C2 stops inlining once a method's IR grows past a fixed node count (18000 at
     * parse), and every Vector API conversion inlines a large body: 4 rows of 512-bit blocks fit
     * (~12.7 K nodes), 4 rows of 256-bit ones (twice the conversions) do not, and a kernel that is
     * not fully inlined boxes its vectors and runs several times slower. Check with
     * {@code -XX:+UnlockDiagnosticVMOptions -XX:+PrintInlining} after any change.
     */
    private static final boolean FOUR_ROWS = LANES >= 16;

    private Q8_0Format() {}

    @Override public String name() { return "Q8_0"; }
    @Override public int blockSize() { return BLOCK; }
    @Override public int blockBytes() { return BYTES; }
    @Override public DType storage() { return DType.U8; }
    @Override public boolean readableAsFloat() { return true; }
    @Override public String toString() { return name(); }

    static float scale(MemorySegment w, long block) {
        return Float.float16ToFloat(w.get(I16_LE, block));
    }

    private static FloatVector scaleVector(MemorySegment w, long block) {
        return FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16_LE, block)));
    }

    /** {@link Simd#LANES} int8 weights at byte {@code offset}, as floats. */
    private static FloatVector quants(MemorySegment w, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    public void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q8_0 dequantizes whole blocks of 32, not " + n);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) BYTES * b;
            FloatVector d = scaleVector(data, block);
            // q·d is exact in float (8 + 11 significant bits), as in GGML's dequantize_row_q8_0.
            for (int h = 0; h < BLOCK; h += LANES) quants(data, block + 2 + h).mul(d).intoArray(dst, dstOffset + BLOCK * b + h);
        }
    }

    @Override
    public float get(MemorySegment data, long index) {
        long block = index / BLOCK * BYTES;
        return data.get(ValueLayout.JAVA_BYTE, block + 2 + index % BLOCK) * scale(data, block);
    }

    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = (long) k / BLOCK * BYTES;
        int blocks = k / BLOCK;
        int last = row1 - 1;
        int streams = FOUR_ROWS ? 4 : 2;
        int span = Rows.span(row0, row1, streams);
        float[] d = Rows.partials();
        for (int first = row0; first < row0 + span; first++) {
            long r0 = Rows.offset(first, 0, span, last, rowBytes);
            long r1 = Rows.offset(first, 1, span, last, rowBytes);
            if (FOUR_ROWS) {
                dot4(w, r0, r1, Rows.offset(first, 2, span, last, rowBytes), Rows.offset(first, 3, span, last, rowBytes),
                        x, blocks, d);
            } else {
                dot2(w, r0, r1, x, blocks, d);
            }
            Rows.reduce(d, streams);
            Rows.store(out, outOffset, first, span, last, d, streams);
        }
    }

    /** Per block: Σ q·x in float, then one FMA with the block's scale. */
    private static void dot4(MemorySegment w, long r0, long r1, long r2, long r3, float[] x, int blocks, float[] d) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        for (int b = 0; b < blocks; b++) {
            long o = (long) BYTES * b;
            FloatVector t0 = FloatVector.zero(F), t1 = t0, t2 = t0, t3 = t0;
            for (int h = 0; h < BLOCK; h += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, BLOCK * b + h);
                t0 = quants(w, r0 + o + 2 + h).fma(v, t0);
                t1 = quants(w, r1 + o + 2 + h).fma(v, t1);
                t2 = quants(w, r2 + o + 2 + h).fma(v, t2);
                t3 = quants(w, r3 + o + 2 + h).fma(v, t3);
            }
            s0 = t0.fma(scaleVector(w, r0 + o), s0);
            s1 = t1.fma(scaleVector(w, r1 + o), s1);
            s2 = t2.fma(scaleVector(w, r2 + o), s2);
            s3 = t3.fma(scaleVector(w, r3 + o), s3);
        }
        s0.intoArray(d, 0);
        s1.intoArray(d, 1 * LANES);
        s2.intoArray(d, 2 * LANES);
        s3.intoArray(d, 3 * LANES);
    }

    private static void dot2(MemorySegment w, long r0, long r1, float[] x, int blocks, float[] d) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        for (int b = 0; b < blocks; b++) {
            long o = (long) BYTES * b;
            FloatVector t0 = FloatVector.zero(F), t1 = t0;
            for (int h = 0; h < BLOCK; h += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, BLOCK * b + h);
                t0 = quants(w, r0 + o + 2 + h).fma(v, t0);
                t1 = quants(w, r1 + o + 2 + h).fma(v, t1);
            }
            s0 = t0.fma(scaleVector(w, r0 + o), s0);
            s1 = t1.fma(scaleVector(w, r1 + o), s1);
        }
        s0.intoArray(d, 0);
        s1.intoArray(d, 1 * LANES);
    }

    /**
     * Quantizes {@code src[srcOffset..+n]} (n a multiple of 32) into blocks at {@code dst[dstOffset..]}
     * exactly as GGML's {@code quantize_row_q8_0_ref}: {@code d = amax/127} in float,
     * {@code q = roundf(x·(1/d))} (half away from zero), and the scale stored as
     * {@code fp16(d)}, round to nearest even; dequantization then uses the f16 scale.
     *
     * <p>Vectorized: the block maximum is a max-reduction (exact in any order), and {@code roundf} is
     * the truncation {@code t} plus one step away from zero where {@code |y − t| ≥ 0.5}, exact because
     * {@code y − t} is (no {@code y + 0.5}, which rounds 0.49999997 up).
     */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (n % BLOCK != 0) throw new IllegalArgumentException(name() + " quantizes whole blocks of 32, not " + n);
        byte[] out = new byte[n / BLOCK * BYTES];   // built on the heap, copied once: per-byte segment stores are slow
        for (int b = 0; b < n / BLOCK; b++) quantizeBlock(src, srcOffset + BLOCK * b, out, BYTES * b);
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, out.length);
    }

    private static void quantizeBlock(float[] src, int base, byte[] out, int block) {
        FloatVector m = FloatVector.zero(F);
        for (int h = 0; h < BLOCK; h += LANES) m = m.max(FloatVector.fromArray(F, src, base + h).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        float d = amax / 127;
        float id = d != 0f ? 1.0f / d : 0f;
        short scale = Float.floatToFloat16(d);
        out[block] = (byte) scale;
        out[block + 1] = (byte) (scale >> 8);
        for (int h = 0; h < BLOCK; h += LANES) {
            FloatVector y = FloatVector.fromArray(F, src, base + h).mul(id);
            IntVector t = (IntVector) y.convert(VectorOperators.F2I, 0);
            FloatVector frac = y.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
            t = t.add(ONE, frac.compare(VectorOperators.GE, 0.5f).cast(I))
                    .sub(ONE, frac.compare(VectorOperators.LE, -0.5f).cast(I));
            ((ByteVector) t.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, block + 2 + h);
        }
    }

    private static final IntVector ONE = IntVector.broadcast(I, 1);

    /** C's {@code roundf}: exact, via double (|x| + 0.5 cannot round there for a float x). */
    static int roundHalfAwayFromZero(float x) {
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }
}
