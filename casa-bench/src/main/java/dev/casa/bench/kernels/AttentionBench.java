package dev.casa.bench.kernels;

import dev.casa.bench.qwen.Probes;
import java.util.Random;
import java.util.concurrent.TimeUnit;

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

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;

/**
 * Fused attention at decoder shapes (16 heads, head_dim 128).
 * prefill: 1024 causal queries over 1024 keys; FLOPs = 4·heads·hd·Σ_i visible(i) = 4.30e9.
 * decode: 1 query over 4096 cached keys; reads K and V = 2·4096·16·128·4 B = 67.1 MB per call.
 * visionFull729: 729 tokens, 16 heads of 72, no mask (SigLIP-so400m@384); 2.45e9 FLOPs.
 * Two peers run in the same fork, so ratios hold on a busy machine: the same FLOPs as pure register
 * FMAs (peak), and a vector sum over the same K/V bytes (bandwidth).
 * The report converts the average times into GFLOP/s and GB/s (see docs/benchmarks.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class AttentionBench {
    static final int HEADS = 16, HEAD_DIM = 128, PREFILL = 1024, CACHE = 4096;
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Param({"1", "2"})
    public int threads;

    private ThreadPool pool;
    private float[] q, k, v, out;
    private float scale;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new ThreadPool(threads);
        Random rnd = new Random(42);
        int width = HEADS * HEAD_DIM;
        q = random(rnd, PREFILL * width);
        k = random(rnd, CACHE * width);
        v = random(rnd, CACHE * width);
        out = new float[PREFILL * width];
        scale = (float) (1 / Math.sqrt(HEAD_DIM));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float prefillCausal1024() {
        int width = HEADS * HEAD_DIM;
        Attention.attend(pool, q, 0, width, PREFILL, HEADS, HEAD_DIM, k, 0, v, 0, width, PREFILL, HEADS,
                AttentionMask.causal(PREFILL, PREFILL), scale, out, 0, width);
        return out[7];
    }

    /** SigLIP-so400m@384 shape: 729 tokens, 16 heads of 72, full mask; FLOPs = 4·16·72·729² = 2.45e9. */
    @Benchmark
    public float visionFull729() {
        int width = HEADS * 72;
        Attention.attend(pool, q, 0, width, 729, HEADS, 72, k, 0, v, 0, width, 729, HEADS,
                AttentionMask.full(729), scale, out, 0, width);
        return out[7];
    }

    @Benchmark
    public float decode4096() {
        int width = HEADS * HEAD_DIM;
        Attention.attend(pool, q, 0, width, 1, HEADS, HEAD_DIM, k, 0, v, 0, width, CACHE, HEADS,
                AttentionMask.causal(CACHE, 1), scale, out, 0, width);
        return out[7];
    }

    /**
     * Peer: the prefill's FLOP count as register-only FMAs (12 independent accumulators, per thread),
     * the FMA peak this JVM reaches on this machine right now.
     */
    @Benchmark
    public float peerFmaPeakPrefillFlops() {
        long flops = 4L * HEADS * HEAD_DIM * ((long) PREFILL * (PREFILL + 1) / 2);
        long perThread = flops / threads / (2L * SPECIES.length() * 12);
        float[] sink = new float[threads];
        pool.parallelFor(threads, (t0, t1) -> {
            for (int t = t0; t < t1; t++) sink[t] = Probes.fmaLoop(perThread);
        });
        return sink[0];
    }

    /** Peer: a plain vector sum over the same K and V bytes the decode reads (memory-bandwidth peer). */
    @Benchmark
    public float peerStreamDecodeBytes() {
        int n = CACHE * HEADS * HEAD_DIM / SPECIES.length();
        float[] sink = new float[threads];
        pool.parallelFor(threads, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                FloatVector a = FloatVector.zero(SPECIES), b = a;
                int from = (int) ((long) n * t / threads) * SPECIES.length(), to = (int) ((long) n * (t + 1) / threads) * SPECIES.length();
                for (int i = from; i < to; i += SPECIES.length()) {
                    a = a.add(FloatVector.fromArray(SPECIES, k, i));
                    b = b.add(FloatVector.fromArray(SPECIES, v, i));
                }
                sink[t] = a.add(b).reduceLanes(VectorOperators.ADD);
            }
        });
        return sink[0];
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }
}
