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
 * GGML's {@code block_q4_0}: 32 weights as a little-endian f16 scale {@code d} followed by 16
 * bytes; byte {@code j} holds weight {@code j} in its low nibble and weight {@code j + 16} in its
 * high nibble, each an unsigned {@code q} with weight {@code (q − 8)·d}. 18 bytes per block
 * (4.5 bits per weight).
 *
 * <p>Decode widens the nibbles in registers (bytes zero-extended to int lanes, mask and shift, to
 * float) against float32 activations, the −8 folded into the activations ({@link #prepare}).
 * That is about twice the instructions per byte of Q8_0, so this kernel is compute-bound before
 * it is memory-bound; see {@code docs/quantization.md}.
 */
final class Q4_0Format implements WeightFormat {
    static final Q4_0Format INSTANCE = new Q4_0Format();

    static final int BLOCK = 32;
    static final int BYTES = 18;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final IntVector LOW_NIBBLE = IntVector.broadcast(I, 0xF);
    private static final FloatVector EIGHT_F = FloatVector.broadcast(F, 8f);

    private Q4_0Format() {}

    @Override public String name() { return "Q4_0"; }
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

    /** {@link Simd#LANES} bytes of nibbles at {@code offset}, one per int lane. */
    private static IntVector nibbles(MemorySegment w, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(B, w, offset, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
    }

    /** The low nibbles (0..15) as floats. */
    private static FloatVector low(IntVector q) {
        return (FloatVector) q.and(LOW_NIBBLE).convert(VectorOperators.I2F, 0);
    }

    /** The high nibbles (0..15) as floats. */
    private static FloatVector high(IntVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
    }

    @Override
    public void dequantize(MemorySegment data, long byteOffset, int n, float[] dst, int dstOffset) {
        if (n % BLOCK != 0) throw new IllegalArgumentException("Q4_0 dequantizes whole blocks of 32, not " + n);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = byteOffset + (long) BYTES * b;
            FloatVector d = scaleVector(data, block);
            int at = dstOffset + BLOCK * b;
            // (q − 8)·d is exact in float, as in GGML's dequantize_row_q4_0.
            for (int h = 0; h < BLOCK / 2; h += LANES) {
                IntVector q = nibbles(data, block + 2 + h);
                low(q).sub(EIGHT_F).mul(d).intoArray(dst, at + h);
                high(q).sub(EIGHT_F).mul(d).intoArray(dst, at + BLOCK / 2 + h);
            }
        }
    }

    @Override
    public float get(MemorySegment data, long index) {
        long block = index / BLOCK * BYTES;
        int j = (int) (index % BLOCK);
        int packed = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xFF;
        int q = j < 16 ? packed & 0xF : packed >>> 4;
        return (q - 8) * scale(data, block);
    }

    /** Floats per block of prepared activations: the 32 values, then {@link #C} lanes of the −8 correction. */
    private static final int PREPARED = BLOCK + LANES;
    private static final int C = BLOCK;

    @Override
    public int preparedLength(int k) {
        return k / BLOCK * PREPARED;
    }

    /**
     * Per block, the 32 activations, then a vector {@code c} whose lanes sum to {@code −8·Σx}: the
     * kernel starts each block's sum at {@code c} and adds {@code q·x} for the raw nibbles, which
     * saves the two subtractions of 8 per row and block (Σ(q − 8)·x = Σ q·x − 8·Σ x). Measured 15%
     * faster on Zen 4; the price is float rounding relative to 8·Σ|x| instead of Σ|(q − 8)·x|,
     * far below the 4-bit quantization error.
     */
    @Override
    public void prepare(float[] x, int xOffset, int k, float[] dst) {
        for (int b = 0; b < k / BLOCK; b++) {
            int src = xOffset + BLOCK * b;
            int at = PREPARED * b;
            System.arraycopy(x, src, dst, at, BLOCK);
            for (int l = 0; l < LANES; l++) {
                float sum = 0;
                for (int j = l; j < BLOCK; j += LANES) sum += x[src + j];
                dst[at + C + l] = -8 * sum;
            }
        }
    }

    /**
     * Two rows at a time: C2's inlining budget (see {@link Q8_0Format}) does not fit a third row
     * of the nibble unpacking with any margin at either vector width.
     */
    @Override
    public void dotRows(MemorySegment w, int k, int row0, int row1, float[] x, float[] out, int outOffset) {
        long rowBytes = (long) k / BLOCK * BYTES;
        int blocks = k / BLOCK;
        int last = row1 - 1;
        int span = Rows.span(row0, row1, 2);
        float[] d = Rows.partials();
        for (int first = row0; first < row0 + span; first++) {
            dot2(w, Rows.offset(first, 0, span, last, rowBytes), Rows.offset(first, 1, span, last, rowBytes), x, blocks, d);
            Rows.reduce(d, 2);
            Rows.store(out, outOffset, first, span, last, d, 2);
        }
    }

    /** Per block: c + Σ q·x over the nibbles in float, then one FMA with the block's scale. */
    private static void dot2(MemorySegment w, long r0, long r1, float[] x, int blocks, float[] d) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0;
        for (int b = 0; b < blocks; b++) {
            long o = (long) BYTES * b;
            int xb = PREPARED * b;
            FloatVector c = FloatVector.fromArray(F, x, xb + C);
            FloatVector t0 = c, t1 = c;
            for (int h = 0; h < BLOCK / 2; h += LANES) {
                FloatVector lo = FloatVector.fromArray(F, x, xb + h);
                FloatVector hi = FloatVector.fromArray(F, x, xb + BLOCK / 2 + h);
                IntVector q0 = nibbles(w, r0 + o + 2 + h);
                IntVector q1 = nibbles(w, r1 + o + 2 + h);
                t0 = high(q0).fma(hi, low(q0).fma(lo, t0));
                t1 = high(q1).fma(hi, low(q1).fma(lo, t1));
            }
            s0 = t0.fma(scaleVector(w, r0 + o), s0);
            s1 = t1.fma(scaleVector(w, r1 + o), s1);
        }
        s0.intoArray(d, 0);
        s1.intoArray(d, 1 * LANES);
    }

    /**
     * Quantizes {@code src[srcOffset..+n]} (n a multiple of 32) into blocks at {@code dst[dstOffset..]}
     * exactly as GGML's {@code quantize_row_q4_0_ref}: {@code d = max/−8} where {@code max} is the
     * first value of largest magnitude (sign kept), {@code q = min(15, (int8)(x·(1/d) + 8.5))}
     * (truncation), and the scale stored as {@code fp16(d)}, round to nearest even.
     *
     * <p>Vectorized: the largest magnitude is a max-reduction, then a scan finds its first value;
     * {@code x·id + 8.5} is the same float operations lane by lane, and Java's float-to-int
     * conversion truncates as C's cast does.
     */
    @Override
    public void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        if (n % BLOCK != 0) throw new IllegalArgumentException(name() + " quantizes whole blocks of 32, not " + n);
        byte[] out = new byte[n / BLOCK * BYTES];   // built on the heap, copied once: per-byte segment stores are slow
        for (int b = 0; b < n / BLOCK; b++) quantizeBlock(src, srcOffset + BLOCK * b, out, BYTES * b);
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, out.length);
    }

    private static final IntVector FIFTEEN = IntVector.broadcast(I, 15);

    private static void quantizeBlock(float[] src, int base, byte[] out, int block) {
        FloatVector m = FloatVector.zero(F);
        for (int h = 0; h < BLOCK; h += LANES) m = m.max(FloatVector.fromArray(F, src, base + h).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        // GGML keeps max = +0 unless some |x| > 0 (an all-zero block, -0 included, gets d = -0).
        float max = 0f;
        if (amax > 0f) {
            for (int h = 0; h < BLOCK; h += LANES) {
                int first = FloatVector.fromArray(F, src, base + h).abs().compare(VectorOperators.EQ, amax).firstTrue();
                if (first < LANES) {
                    max = src[base + h + first];
                    break;
                }
            }
        }
        float d = max / -8;
        float id = d != 0f ? 1.0f / d : 0f;
        short scale = Float.floatToFloat16(d);
        out[block] = (byte) scale;
        out[block + 1] = (byte) (scale >> 8);
        for (int h = 0; h < BLOCK / 2; h += LANES) {
            IntVector lo = codes(src, base + h, id);
            IntVector hi = codes(src, base + BLOCK / 2 + h, id);
            ((ByteVector) lo.or(hi.lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0))
                    .intoArray(out, block + 2 + h);
        }
    }

    /** {@code min(15, (int) (x·id + 8.5))} for {@link Simd#LANES} values; x·id + 8.5 is in [0.5, 16.5]. */
    private static IntVector codes(float[] src, int at, float id) {
        FloatVector y = FloatVector.fromArray(F, src, at).mul(id).add(8.5f);
        return ((IntVector) y.convert(VectorOperators.F2I, 0)).min(FIFTEEN);
    }
}
