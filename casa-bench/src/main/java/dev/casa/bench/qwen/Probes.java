package dev.casa.bench.qwen;

import dev.casa.core.kernels.ThreadPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine limits, measured in the benchmark's own run with the benchmark's thread pool: the FP32 FMA
 * peak (register-only FMAs, 12 independent accumulators per thread) and the streaming read bandwidth
 * (vector sums over an off-heap buffer far larger than the L3 cache, each thread a contiguous part).
 */
public final class Probes {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static volatile float sink;

    private Probes() {}

    /** A probe result: the median and the best of the passes, in GFLOP/s or GB/s. */
    public record Rate(double median, double best, int passes) {
        @Override
        public String toString() {
            return String.format("median %.1f, best %.1f (%d passes)", median, best, passes);
        }
    }

    /** FMA peak in GFLOP/s over {@code pool}'s threads: {@code passes} passes of about 0.2 s each. */
    public static Rate fmaPeak(ThreadPool pool, int passes) {
        int threads = pool.threads();
        long iterations = 120_000_000L / Math.max(1, S.length() / 8); // ~0.2 s per thread on a ~110 GFLOP/s core
        double flopsPerPass = (double) threads * iterations * 12 * 2 * S.length();
        double[] rates = new double[passes];
        for (int p = -1; p < passes; p++) {
            long t0 = System.nanoTime();
            pool.runChunks(threads, (c, cs) -> sink += fmaLoop(iterations));
            double s = (System.nanoTime() - t0) / 1e9;
            if (p >= 0) rates[p] = flopsPerPass / s / 1e9;
        }
        return rate(rates);
    }

    /** Read bandwidth in GB/s over {@code pool}'s threads: a {@code bytes} buffer (&gt;&gt; L3) read {@code passes} times. */
    public static Rate readBandwidth(ThreadPool pool, long bytes, int passes) {
        int threads = pool.threads();
        long step = (long) S.length() * Float.BYTES * 4;
        long perThread = bytes / threads / step * step;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(perThread * threads, 64);
            pool.runChunks(threads, (c, cs) -> {   // touch every page from the thread that will read it
                MemorySegment part = buffer.asSlice(c * perThread, perThread);
                for (long o = 0; o < perThread; o += 4096) part.set(ValueLayout.JAVA_FLOAT, o, 1e-3f);
            });
            double[] rates = new double[passes];
            for (int p = -1; p < passes; p++) {
                long t0 = System.nanoTime();
                pool.runChunks(threads, (c, cs) -> sink += sum(buffer.asSlice(c * perThread, perThread)));
                double s = (System.nanoTime() - t0) / 1e9;
                if (p >= 0) rates[p] = perThread * threads / s / 1e9;
            }
            return rate(rates);
        }
    }

    private static Rate rate(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        return new Rate(median, s[s.length - 1], s.length);
    }

    private static float sum(MemorySegment m) {
        FloatVector a = FloatVector.zero(S), b = a, c = a, d = a;
        long stride = (long) S.length() * Float.BYTES;
        ByteOrder order = ByteOrder.nativeOrder();
        for (long o = 0; o + 4 * stride <= m.byteSize(); o += 4 * stride) {
            a = a.add(FloatVector.fromMemorySegment(S, m, o, order));
            b = b.add(FloatVector.fromMemorySegment(S, m, o + stride, order));
            c = c.add(FloatVector.fromMemorySegment(S, m, o + 2 * stride, order));
            d = d.add(FloatVector.fromMemorySegment(S, m, o + 3 * stride, order));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    /**
     * {@code iterations} × 12 independent vector FMAs (24 · lanes FLOPs each) in registers: a core's FMA peak, no
     * memory. The result only keeps the JIT from removing the loop.
     */
    public static float fmaLoop(long iterations) {
        FloatVector x = FloatVector.broadcast(S, 0.999f), y = FloatVector.broadcast(S, 1e-3f);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < iterations; i++) {
            c0 = x.fma(y, c0); c1 = x.fma(y, c1); c2 = x.fma(y, c2); c3 = x.fma(y, c3);
            c4 = x.fma(y, c4); c5 = x.fma(y, c5); c6 = x.fma(y, c6); c7 = x.fma(y, c7);
            c8 = x.fma(y, c8); c9 = x.fma(y, c9); c10 = x.fma(y, c10); c11 = x.fma(y, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
