package dev.casa.core.kernels;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.GgmlBlocks;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Matmul against a plain scalar oracle written here: weights decoded from their raw bytes by this
 * test (Q8_0/Q4_0 by {@link GgmlBlocks}), products summed in double. The bound is the standard
 * float summation error {@code |err| ≤ c·K·eps·Σ|a·w|} (eps = 2^-24) with c = 2, plus the
 * rounding of the bias add.
 */
class MatmulTest {
    private static final ThreadPool ONE = new ThreadPool(1);
    private static final ThreadPool TWO = new ThreadPool(2);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final double EPS = 0x1p-24;

    /** {M, N, K}: GEMV (M ≤ 4) and GEMM sizes around the vector widths, the 6×16 / 8×32 tiles and the KC (384) / NC (352) blocks. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 7, 3}, {1, 33, 17}, {1, 257, 100}, {1, 100, 1000}, {1, 3, 257},
            {2, 17, 33}, {3, 33, 7}, {4, 100, 257}, {3, 7, 1000},
            {5, 3, 17}, {7, 17, 33}, {17, 33, 100}, {33, 100, 257}, {100, 257, 33},
            {257, 33, 100}, {17, 1000, 7}, {33, 257, 1000}, {7, 2100, 17}, {100, 17, 1000},
            {3, 70, 4099},   // M = 2..4 over several L2 slices (16 KB rows)
    };

    /**
     * {M, N, K} for the block formats (K a multiple of 32): M = 1..5 and 37 (GEMV and GEMM), N off
     * every row group and tile, K of one block, a few blocks, around KC (384) and K_CHUNK (1024), and 4096.
     */
    private static final int[][] BLOCK_SHAPES = {
            {1, 1, 32}, {1, 7, 64}, {1, 33, 96}, {1, 257, 4096}, {1, 100, 416}, {1, 3, 1056},
            {2, 17, 32}, {3, 33, 96}, {4, 100, 1056}, {2, 9, 4096},
            {5, 3, 64}, {5, 37, 384}, {37, 100, 96}, {37, 257, 800}, {37, 5, 4096}, {9, 70, 1056},
            {4, 150, 8192},   // M = 2..4 over several L2 slices
    };

    @AfterAll
    static void closePools() {
        ONE.close();
        TWO.close();
    }

    @Test
    void matchesScalarOracleForEveryDtypeShapeAndThreadCount() {
        Random rnd = new Random(42);
        int cases = 0;
        for (int[] s : SHAPES) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Tensor w = weight(dtype, s[1], s[2], rnd);
                for (boolean withBias : new boolean[] {false, true}) {
                    for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
                        // Offsets vary with the bias flag so both zero and non-zero offsets are covered.
                        int aOffset = withBias ? 3 : 0;
                        int cOffset = withBias ? 5 : 0;
                        check(pool, s[0], w, withBias ? randoms(s[1], rnd) : null, aOffset, cOffset, rnd);
                        cases++;
                    }
                }
            }
        }
        assertEquals(SHAPES.length * 12, cases);
    }

    @Test
    void blockFormatsMatchScalarOracleForEveryShapeAndThreadCount() {
        Random rnd = new Random(17);
        int cases = 0;
        for (int[] s : BLOCK_SHAPES) {
            Tensor f32 = Tensor.ofFloats("w", randoms(s[1] * s[2], rnd), s[1], s[2]);
            for (WeightFormat format : WeightFormat.quantizedFormats()) {
                Tensor w = Quantizer.quantize(f32, format);
                for (boolean withBias : new boolean[] {false, true}) {
                    for (ThreadPool pool : new ThreadPool[] {ONE, TWO}) {
                        int aOffset = withBias ? 3 : 0;
                        int cOffset = withBias ? 5 : 0;
                        check(pool, s[0], w, withBias ? randoms(s[1], rnd) : null, aOffset, cOffset, rnd);
                        cases++;
                    }
                }
            }
        }
        assertEquals(BLOCK_SHAPES.length * 8, cases);
    }

    /**
     * The first (interpreted) call and a call after the kernels are compiled give the same bits:
     * C2 must not change a GEMV's rounding (it would if a kernel used {@code reduceLanes}, which C2
     * adds in a tree and the interpreter in lane order), so a session replayed gives equal logits.
     */
    @Test
    void decodeResultsDoNotDependOnTheJitTier() {
        Random rnd = new Random(23);
        int n = 40, k = 512;
        float[] v = randoms(n * k, rnd);
        Tensor f32 = Tensor.ofFloats("w", v, n, k);
        Tensor[] weights = {f32, Tensor.ofBf16("w", v, n, k), Tensor.ofF16("w", v, n, k),
                Quantizer.quantize(f32, WeightFormat.Q8_0), Quantizer.quantize(f32, WeightFormat.Q4_0)};
        for (Tensor heap : weights) {
            // Off-heap like a mapped file (heap segments of bytes take slower, non-intrinsic loads).
            MemorySegment seg = Arena.ofAuto().allocate(heap.data().byteSize(), 64);
            seg.copyFrom(heap.data());
            Tensor w = new Tensor("w", heap.format(), heap.shape(), seg);
            for (int m : new int[] {1, 3}) {
                float[] a = randoms(m * k, rnd);
                float[] first = new float[m * n], later = new float[m * n];
                Matmul.matmul(TWO, a, 0, m, w, null, first, 0);
                for (int i = 0; i < 3000; i++) Matmul.matmul(TWO, a, 0, m, w, null, later, 0);
                assertTrue(Arrays.equals(first, later), w.format() + " M=" + m + ": first call and warmed-up call differ");
            }
        }
    }

    @Test
    void blockFormatsReadMemoryMappedWeights(@TempDir Path dir) throws IOException {
        Random rnd = new Random(8);
        for (WeightFormat format : WeightFormat.quantizedFormats()) {
            int n = 70, k = 320;
            Tensor heap = Quantizer.quantize(Tensor.ofFloats("w", randoms(n * k, rnd), n, k), format);
            Path file = dir.resolve("w-" + format + ".bin");
            Files.write(file, heap.data().toArray(ValueLayout.JAVA_BYTE));
            try (Arena arena = Arena.ofShared();
                 FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                Tensor w = new Tensor("mapped", format, new long[] {n, k}, mapped);
                for (int m : new int[] {1, 3, 40}) check(TWO, m, w, randoms(n, rnd), 1, 2, rnd);
            }
        }
    }

    @Test
    void readsMemoryMappedWeights(@TempDir Path dir) throws IOException {
        Random rnd = new Random(7);
        for (DType dtype : new DType[] {DType.BF16, DType.F32, DType.F16}) {
            int n = 70, k = 300;
            Tensor heap = weight(dtype, n, k, rnd);
            Path file = dir.resolve("w-" + dtype + ".bin");
            Files.write(file, heap.data().toArray(ValueLayout.JAVA_BYTE));
            try (Arena arena = Arena.ofShared();
                 FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                Tensor w = new Tensor("mapped", dtype, new long[] {n, k}, mapped);
                for (int m : new int[] {1, 3, 40}) check(TWO, m, w, randoms(n, rnd), 1, 2, rnd);
            }
        }
    }

    @Test
    void f16ExtremesAsWeights() {
        // Largest finite, smallest normal, subnormals and signed zeros: exact products, no overflow in float32.
        short[] specials = {0x7BFF, (short) 0xFBFF, 0x0400, 0x0001, 0x03FF, (short) 0x8001, 0x0000, (short) 0x8000, 0x3C00};
        int n = 37, k = 45;
        MemorySegment seg = MemorySegment.ofArray(new byte[n * k * 2]);
        Random rnd = new Random(3);
        for (int i = 0; i < n * k; i++) seg.set(I16_LE, 2L * i, specials[rnd.nextInt(specials.length)]);
        Tensor w = new Tensor("f16-extremes", DType.F16, new long[] {n, k}, seg);
        for (int m : new int[] {1, 2, 9}) check(TWO, m, w, null, 0, 0, rnd);
    }

    @Test
    void zeroInnerDimensionGivesBias() {
        Tensor w = Tensor.ofFloats("empty", new float[0], 3, 0);
        float[] c = new float[6];
        Matmul.matmul(TWO, new float[0], 0, 2, w, new float[] {1, 2, 3}, c, 0);
        assertTrue(Arrays.equals(new float[] {1, 2, 3, 1, 2, 3}, c));
    }

    @Test
    void rejectsBadArguments() {
        Tensor w = Tensor.ofFloats("w", new float[12], 3, 4);
        float[] a = new float[8];
        float[] c = new float[6];
        assertThrows(IllegalArgumentException.class, () -> Matmul.matmul(ONE, a, 1, 2, w, null, c, 0));
        assertThrows(IllegalArgumentException.class, () -> Matmul.matmul(ONE, a, 0, 2, w, null, c, 1));
        assertThrows(IllegalArgumentException.class, () -> Matmul.matmul(ONE, a, 0, 2, w, new float[4], c, 0));
        Tensor vector = Tensor.ofFloats("v", new float[12], 12);
        assertThrows(IllegalArgumentException.class, () -> Matmul.matmul(ONE, a, 0, 1, vector, null, c, 0));
        Tensor ints = new Tensor("ints", DType.I32, new long[] {3, 4}, MemorySegment.ofArray(new byte[48]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Matmul.matmul(ONE, a, 0, 2, ints, null, c, 0));
        assertTrue(e.getMessage().contains("ints") && e.getMessage().contains("I32"), e.getMessage());
    }

    // ---- oracle -------------------------------------------------------------------------------

    private static void check(ThreadPool pool, int m, Tensor w, float[] bias, int aOffset, int cOffset, Random rnd) {
        int n = w.rows(), k = w.cols();
        float[] a = new float[aOffset + m * k + 2];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() * 2 - 1;
        float[] c = new float[cOffset + m * n + 3];
        Arrays.fill(c, Float.NaN);
        Matmul.matmul(pool, a, aOffset, m, w, bias, c, cOffset);
        assertMatchesOracle(w.format() + " M=" + m + " N=" + n + " K=" + k + " bias=" + (bias != null)
                + " threads=" + pool.threads(), a, aOffset, m, w, bias, c, cOffset);
    }

    /**
     * C's {@code m} rows from {@code cOffset} within the bound of the double-precision oracle, and
     * C's elements around them still NaN (as the caller filled them).
     */
    static void assertMatchesOracle(String where, float[] a, int aOffset, int m, Tensor w, float[] bias,
                                    float[] c, int cOffset) {
        int n = w.rows(), k = w.cols();
        for (int i = 0; i < cOffset; i++) assertTrue(Float.isNaN(c[i]), "wrote before C: " + where);
        for (int i = cOffset + m * n; i < c.length; i++) assertTrue(Float.isNaN(c[i]), "wrote after C: " + where);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int kk = 0; kk < k; kk++) {
                    double p = (double) a[aOffset + i * k + kk] * weightAt(w, (long) j * k + kk);
                    sum += p;
                    magnitude += Math.abs(p);
                    // Q4_0's kernel sums q·x from −8·Σx (see Q4_0Format.prepare): its rounding scales with 8·|d·x|.
                    if (w.format() == WeightFormat.Q4_0) {
                        magnitude += 8 * Math.abs(a[aOffset + i * k + kk] * GgmlBlocks.scale(w.data(), (long) j * k + kk, true));
                    }
                }
                if (bias != null) {
                    sum += bias[j];
                    magnitude += Math.abs(bias[j]);
                }
                double bound = 2 * (k + 2) * EPS * magnitude + Float.MIN_NORMAL;
                float got = c[cOffset + i * n + j];
                if (!(Math.abs(got - sum) <= bound)) {
                    fail(where + ": C[" + i + "][" + j + "] = " + got + ", expected " + sum + " ± " + bound);
                }
            }
        }
    }

    /** Independent decoding of one weight from its little-endian bytes. */
    private static float weightAt(Tensor w, long index) {
        MemorySegment d = w.data();
        if (w.format() == WeightFormat.Q8_0 || w.format() == WeightFormat.Q4_0) {
            return GgmlBlocks.weight(d, index, w.format() == WeightFormat.Q4_0);
        }
        return switch (w.dtype()) {
            case F32 -> d.get(F32_LE, 4 * index);
            case BF16 -> Float.intBitsToFloat((d.get(I16_LE, 2 * index) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(d.get(I16_LE, 2 * index));
            default -> throw new AssertionError(w.dtype());
        };
    }

    static Tensor weight(DType dtype, int n, int k, Random rnd) {
        float[] v = randoms(n * k, rnd);
        return switch (dtype) {
            case F32 -> Tensor.ofFloats("w", v, n, k);
            case BF16 -> Tensor.ofBf16("w", v, n, k);
            case F16 -> Tensor.ofF16("w", v, n, k);
            default -> throw new AssertionError(dtype);
        };
    }

    static float[] randoms(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return v;
    }
}
