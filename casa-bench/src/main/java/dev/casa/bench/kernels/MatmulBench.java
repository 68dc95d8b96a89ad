package dev.casa.bench.kernels;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Numbers;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Matmul throughput. GEMM: {@code C[M,N] = A[M,K]·W[N,K]ᵀ}, report GFLOP/s = 2·M·N·K / time
 * (peak ~200 on 2 cores). GEMV (M = 1): W shape {@code [N, K]}, report GB/s = weight bytes / time
 * (read bandwidth ~30 GB/s on 2 cores). Weights live off-heap like a memory-mapped model file.
 * {@code casa-bench/scripts/jmh_rates.py} turns the JSON result into those units.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
public class MatmulBench {

    @State(Scope.Benchmark)
    public static class GemmState {
        /** M x K x N. */
        @Param({"256x2560x7040", "729x1152x4304", "1024x1024x1024"})
        public String shape;
        /** A weight format: F32, BF16, F16, Q8_0 or Q4_0 (block formats dequantize into the packed panel). */
        @Param({"F32", "BF16", "Q8_0", "Q4_0"})
        public String dtype;
        @Param({"2"})
        public int threads;

        ThreadPool pool;
        Arena arena;
        float[] a;
        float[] c;
        Tensor w;

        @Setup(Level.Trial)
        public void setUp() {
            String[] d = shape.split("x");
            int m = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]), n = Integer.parseInt(d[2]);
            pool = new ThreadPool(threads);
            arena = Arena.ofShared();
            a = randomFloats(m * k, 1);
            c = new float[m * n];
            w = offHeapWeight(arena, dtype, n, k);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
            arena.close();
        }
    }

    @State(Scope.Benchmark)
    public static class GemvState {
        /** W rows (N, output features) x columns (K, input features). */
        @Param({"2560x7040", "7040x2560"})
        public String weight;
        @Param({"BF16", "F32"})
        public String dtype;
        @Param({"2"})
        public int threads;
        /** Activation rows: 1 is decode; 2..4 also take the GEMV path ({@code -p rows=4}). */
        @Param({"1"})
        public int rows;

        ThreadPool pool;
        Arena arena;
        float[] a;
        float[] c;
        Tensor w;

        @Setup(Level.Trial)
        public void setUp() {
            String[] d = weight.split("x");
            int n = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]);
            pool = new ThreadPool(threads);
            arena = Arena.ofShared();
            a = randomFloats(rows * k, 2);
            c = new float[rows * n];
            w = offHeapWeight(arena, dtype, n, k);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.close();
            arena.close();
        }
    }

    @Benchmark
    public float[] gemm(GemmState s) {
        Matmul.matmul(s.pool, s.a, 0, s.a.length / s.w.cols(), s.w, null, s.c, 0);
        return s.c;
    }

    @Benchmark
    public float[] gemv(GemvState s) {
        Matmul.matmul(s.pool, s.a, 0, s.rows, s.w, null, s.c, 0);
        return s.c;
    }

    static float[] randomFloats(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    /** A random {@code n×k} weight in format {@code name} (a DType or Q8_0/Q4_0), off-heap like a mapped model file. */
    static Tensor offHeapWeight(Arena arena, String name, int n, int k) {
        WeightFormat format = WeightFormat.named(name);
        if (format == null || !format.quantized()) return offHeapWeight(arena, DType.valueOf(name), n, k);
        Tensor q = Quantizer.quantize(offHeapWeight(arena, DType.F32, n, k), format);
        MemorySegment seg = arena.allocate(q.data().byteSize(), 64);
        seg.copyFrom(q.data());
        return new Tensor("bench", format, q.shape(), seg);
    }

    static Tensor offHeapWeight(Arena arena, DType dtype, int n, int k) {
        long count = (long) n * k;
        MemorySegment seg = arena.allocate(count * dtype.byteSize(), 64);
        SplittableRandom rnd = new SplittableRandom(3);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            float v = (float) ((rnd.nextDouble() * 2 - 1) * 0.05);
            switch (dtype) {
                case F32 -> seg.set(f32, 4 * i, v);
                case BF16 -> seg.set(i16, 2 * i, Numbers.floatToBf16(v));
                case F16 -> seg.set(i16, 2 * i, Float.floatToFloat16(v));
                default -> throw new IllegalArgumentException("unsupported weight dtype " + dtype);
            }
        }
        return new Tensor("bench", dtype, new long[] {n, k}, seg);
    }
}
