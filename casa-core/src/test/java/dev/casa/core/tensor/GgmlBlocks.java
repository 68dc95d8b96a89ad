package dev.casa.core.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * An independent scalar model of GGML's Q8_0/Q4_0 blocks for tests: decoding straight from the
 * bytes as ggml-common.h lays them out, and the reference quantizers' rounding written with
 * exact decimal arithmetic. Shares no code with the formats under test.
 */
public final class GgmlBlocks {
    private GgmlBlocks() {}

    /** Weight {@code index} of a row-major Q8_0 ({@code q4 == false}) or Q4_0 tensor, from its bytes. */
    public static float weight(MemorySegment data, long index, boolean q4) {
        int blockBytes = q4 ? 18 : 34;
        long block = index / 32 * blockBytes;
        int j = (int) (index % 32);
        int lo = data.get(ValueLayout.JAVA_BYTE, block) & 0xFF;
        int hi = data.get(ValueLayout.JAVA_BYTE, block + 1) & 0xFF;
        float d = Float.float16ToFloat((short) (lo | hi << 8));
        if (!q4) return data.get(ValueLayout.JAVA_BYTE, block + 2 + j) * d;
        int packed = data.get(ValueLayout.JAVA_BYTE, block + 2 + j % 16) & 0xFF;
        int q = j < 16 ? packed % 16 : packed / 16;
        return (q - 8) * d;
    }

    /** The f16 scale of the block holding weight {@code index}. */
    public static float scale(MemorySegment data, long index, boolean q4) {
        long block = index / 32 * (q4 ? 18 : 34);
        int lo = data.get(ValueLayout.JAVA_BYTE, block) & 0xFF;
        int hi = data.get(ValueLayout.JAVA_BYTE, block + 1) & 0xFF;
        return Float.float16ToFloat((short) (lo | hi << 8));
    }

    /** One Q8_0 block of {@code x[off..off+32)}: 34 bytes. */
    public static byte[] q8(float[] x, int off) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        float d = amax / 127f;
        float id = d == 0 ? 0 : 1f / d;
        byte[] out = new byte[34];
        putScale(out, d);
        for (int j = 0; j < 32; j++) {
            float v = x[off + j] * id;
            out[2 + j] = (byte) new BigDecimal(v).setScale(0, RoundingMode.HALF_UP).intValueExact();
        }
        return out;
    }

    /** One Q4_0 block of {@code x[off..off+32)}: 18 bytes. */
    public static byte[] q4(float[] x, int off) {
        float amax = 0, max = 0;   // max stays +0 for an all-zero block, so d = -0
        for (int j = 0; j < 32; j++) {
            if (Math.abs(x[off + j]) > amax) {
                amax = Math.abs(x[off + j]);
                max = x[off + j];
            }
        }
        float d = max / -8f;
        float id = d == 0 ? 0 : 1f / d;
        byte[] out = new byte[18];
        putScale(out, d);
        for (int j = 0; j < 16; j++) {
            int lo = nibble(x[off + j] * id + 8.5f);
            int hi = nibble(x[off + 16 + j] * id + 8.5f);
            out[2 + j] = (byte) (lo + 16 * hi);
        }
        return out;
    }

    private static int nibble(float shifted) {
        int truncated = new BigDecimal(shifted).setScale(0, RoundingMode.DOWN).intValueExact();
        return Math.min(15, truncated);
    }

    private static void putScale(byte[] out, float d) {
        short h = Float.floatToFloat16(d);
        out[0] = (byte) h;
        out[1] = (byte) (h >> 8);
    }
}
