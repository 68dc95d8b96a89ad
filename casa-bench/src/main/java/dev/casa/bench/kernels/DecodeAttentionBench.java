package dev.casa.bench.kernels;

import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.qwen.Probes;
import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Decode attention of one token over every layer's KV cache, on the attention shapes of the real
 * checkpoints: one query row per head against {@code keys} cached positions in each layer, each
 * layer its own K and V arrays (the whole cache is far larger than L3, so it streams from DRAM as in
 * a decode step). Reports the median time of a step's attention, the K/V bytes it reads per second,
 * and that against the read bandwidth probed in the same run on the same threads.
 *
 * <p>Usage: {@code DecodeAttentionBench [threads=2] [keys=880] [steps=200]}.
 */
public final class DecodeAttentionBench {
    private DecodeAttentionBench() {}

    /** heads, kv heads, head dim, layers. */
    private record Shape(String name, int heads, int kvHeads, int headDim, int layers) {}

    private static final Shape[] SHAPES = {
        new Shape("SmolVLM-256M (9/3 heads, hd 64, 30 layers)", 9, 3, 64, 30),
        new Shape("Qwen2.5-VL-3B LM (16/2 heads, hd 128, 36 layers)", 16, 2, 128, 36),
        new Shape("Helium-2B (20/20 heads, hd 128, 24 layers)", 20, 20, 128, 24),
    };

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int keys = args.length > 1 ? Integer.parseInt(args[1]) : 880;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        System.out.printf("decode attention, %d threads, %d cached positions, %s; load average %s%n",
                threads, keys, MachineState.cpuModel(), MachineState.loadAverage());
        try (ThreadPool pool = new ThreadPool(threads)) {
            for (Shape s : SHAPES) run(pool, s, keys, steps);
        }
        System.out.printf("load average after: %s%n", MachineState.loadAverage());
    }

    private static void run(ThreadPool pool, Shape s, int keys, int steps) {
        int kvd = s.kvHeads() * s.headDim(), qd = s.heads() * s.headDim();
        SplittableRandom rnd = new SplittableRandom(keys);
        float[][] k = new float[s.layers()][], v = new float[s.layers()][];
        for (int l = 0; l < s.layers(); l++) {
            k[l] = random(rnd, keys * kvd);
            v[l] = random(rnd, keys * kvd);
        }
        float[] q = random(rnd, qd), out = new float[qd];
        AttentionMask mask = AttentionMask.causal(keys, 1);
        float scale = (float) (1 / Math.sqrt(s.headDim()));
        Runnable step = () -> {
            for (int l = 0; l < s.layers(); l++) {
                Attention.attend(pool, q, 0, qd, 1, s.heads(), s.headDim(), k[l], 0, v[l], 0, kvd, keys, s.kvHeads(),
                        mask, scale, out, 0, qd);
            }
        };
        for (int i = 0; i < steps / 2; i++) step.run();   // JIT warm-up
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        double median = t[steps / 2];
        double bytes = 2.0 * s.layers() * keys * kvd * Float.BYTES;
        Probes.Rate bw = Probes.readBandwidth(pool, 1L << 30, 5);
        System.out.printf("%-52s %7.3f ms/step (p10 %.3f, p90 %.3f): K/V %.1f MB at %.1f GB/s; read probe %s -> %.0f %%%n",
                s.name(), median * 1e3, t[steps / 10] * 1e3, t[steps * 9 / 10] * 1e3, bytes / 1e6, bytes / median / 1e9,
                bw, 100 * bytes / median / 1e9 / bw.best());
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
