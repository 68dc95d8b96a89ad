package dev.casa.bench.kernels;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import dev.casa.core.kernels.Activations;
import dev.casa.core.kernels.Norms;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.kernels.RopeStyle;
import dev.casa.core.kernels.VectorMath;

/**
 * Elementwise kernels, single-threaded, over 64 rows at decoder/vision widths (the data stays in
 * L2): rmsNorm and add at d = 2560, layerNorm at 1152, GELU (tanh and erf) at 4304, SwiGLU and SiLU
 * at 7040, softmax over 4096 scores, RoPE on 16 heads × 128 for 64 positions. Scores are µs per call
 * of all 64 rows; docs/benchmarks.md converts them to ns per element.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class NormBench {
    static final int ROWS = 64;

    private float[] hidden, hiddenOut, weight, vision, visionOut, vWeight, vBias, mlp, mlpWork, up, gateWork;
    private float[] scores, scoresWork, heads, residual;
    private RotaryEmbedding ropeHalf, ropeInterleaved;
    private float[] ropeCos, ropeSin;

    @Setup(Level.Trial)
    public void setUp() {
        Random rnd = new Random(3);
        hidden = random(rnd, ROWS * 2560, 2);
        hiddenOut = new float[ROWS * 2560];
        residual = random(rnd, ROWS * 2560, 1);
        weight = random(rnd, 2560, 1);
        vision = random(rnd, ROWS * 1152, 2);
        visionOut = new float[ROWS * 1152];
        vWeight = random(rnd, 1152, 1);
        vBias = random(rnd, 1152, 1);
        mlp = random(rnd, ROWS * 7040, 4);
        mlpWork = new float[ROWS * 7040];
        up = random(rnd, ROWS * 7040, 2);
        gateWork = new float[ROWS * 7040];
        scores = random(rnd, ROWS * 4096, 8);
        scoresWork = new float[ROWS * 4096];
        heads = random(rnd, ROWS * 16 * 128, 1);
        ropeHalf = RotaryEmbedding.oneD(128, RotaryEmbedding.defaultInvFreq(128, 100000.0), RopeStyle.HALF);
        ropeInterleaved = RotaryEmbedding.oneD(128, RotaryEmbedding.defaultInvFreq(128, 100000.0), RopeStyle.INTERLEAVED);
        int[] positions = new int[ROWS];
        for (int r = 0; r < ROWS; r++) positions[r] = 1000 + r;
        ropeCos = new float[ROWS * 64];
        ropeSin = new float[ROWS * 64];
        ropeHalf.table(positions, 0, ROWS, ropeCos, ropeSin, 0);
    }

    @Benchmark
    public float rmsNorm2560() {
        Norms.rmsNorm(hidden, 0, weight, 1e-8f, hiddenOut, 0, 2560, ROWS, 2560);
        return hiddenOut[5];
    }

    @Benchmark
    public float layerNorm1152() {
        for (int r = 0; r < ROWS; r++) Norms.layerNorm(vision, r * 1152, vWeight, vBias, 1e-6f, visionOut, r * 1152, 1152);
        return visionOut[5];
    }

    @Benchmark
    public float geluTanh4304() {
        System.arraycopy(mlp, 0, mlpWork, 0, ROWS * 4304);
        Activations.geluTanh(mlpWork, 0, ROWS * 4304);
        return mlpWork[5];
    }

    @Benchmark
    public float geluErf4304() {
        System.arraycopy(mlp, 0, mlpWork, 0, ROWS * 4304);
        Activations.gelu(mlpWork, 0, ROWS * 4304);
        return mlpWork[5];
    }

    @Benchmark
    public float silu7040() {
        System.arraycopy(mlp, 0, mlpWork, 0, ROWS * 7040);
        Activations.silu(mlpWork, 0, ROWS * 7040);
        return mlpWork[5];
    }

    @Benchmark
    public float swiglu7040() {
        System.arraycopy(mlp, 0, gateWork, 0, ROWS * 7040);
        Activations.swiglu(gateWork, 0, up, 0, ROWS * 7040);
        return gateWork[5];
    }

    /** Peer for the activations: the copy they all start with. */
    @Benchmark
    public float copyOnly7040() {
        System.arraycopy(mlp, 0, gateWork, 0, ROWS * 7040);
        return gateWork[5];
    }

    @Benchmark
    public float softmax4096() {
        System.arraycopy(scores, 0, scoresWork, 0, ROWS * 4096);
        for (int r = 0; r < ROWS; r++) VectorMath.softmax(scoresWork, r * 4096, 4096);
        return scoresWork[5];
    }

    @Benchmark
    public float residualAdd2560() {
        VectorMath.add(hiddenOut, 0, residual, 0, ROWS * 2560);
        return hiddenOut[5];
    }

    @Benchmark
    public float ropeHalf16x128() {
        ropeHalf.rotateRows(heads, 0, 16 * 128, ROWS, 16, ropeCos, ropeSin, 0);
        return heads[5];
    }

    @Benchmark
    public float ropeInterleaved16x128() {
        ropeInterleaved.rotateRows(heads, 0, 16 * 128, ROWS, 16, ropeCos, ropeSin, 0);
        return heads[5];
    }

    private static float[] random(Random rnd, int n, float amp) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (rnd.nextFloat() * 2 - 1) * amp;
        return a;
    }
}
