package dev.casa.bench.kernels;

import dev.casa.bench.qwen.Probes;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;

/**
 * Single-threaded attention measured in thread CPU time (best of N), for a shared machine where
 * wall time mostly measures the other tenants. Same shapes as {@link AttentionBench}, with its two
 * peers run in the same JVM: register-only FMAs of the prefill's FLOP count, and a vector sum over
 * the decode's K/V bytes. Usage: {@code AttentionCpuTime [runs=20]}.
 */
public final class AttentionCpuTime {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
    private static final int H = AttentionBench.HEADS, HD = AttentionBench.HEAD_DIM;
    private static final int T = AttentionBench.PREFILL, C = AttentionBench.CACHE, W = H * HD;
    private static float sink;

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Random rnd = new Random(42);
        float[] q = new float[T * W], k = new float[C * W], v = new float[C * W], out = new float[T * W];
        for (int i = 0; i < q.length; i++) q[i] = rnd.nextFloat() * 2 - 1;
        for (int i = 0; i < k.length; i++) {
            k[i] = rnd.nextFloat() * 2 - 1;
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        float scale = (float) (1 / Math.sqrt(HD));
        double prefillFlops = 4.0 * H * HD * (T * (T + 1) / 2.0), decodeBytes = 2.0 * C * W * 4;
        try (ThreadPool pool = new ThreadPool(1)) {
            Runnable prefill = () -> Attention.attend(pool, q, 0, W, T, H, HD, k, 0, v, 0, W, T, H,
                    AttentionMask.causal(T, T), scale, out, 0, W);
            Runnable decode = () -> Attention.attend(pool, q, 0, W, 1, H, HD, k, 0, v, 0, W, C, H,
                    AttentionMask.causal(C, 1), scale, out, 0, W);
            Runnable peak = () -> sink += Probes.fmaLoop((long) (prefillFlops / (2.0 * S.length() * 12)));
            Runnable stream = () -> sink += sum(k, v);
            for (int warm = 0; warm < 3; warm++) {
                best(prefill, 2); best(decode, 20); best(peak, 2); best(stream, 20);
            }
            double tp = best(prefill, runs), tk = best(peak, runs);
            double td = best(decode, 5 * runs), ts = best(stream, 5 * runs);
            System.out.printf("prefill causal %d, %d heads, hd %d: %.2f ms CPU = %.1f GFLOP/s; FMA peer %.2f ms = %.1f GFLOP/s; ratio %.0f%%%n",
                    T, H, HD, tp * 1e3, prefillFlops / tp / 1e9, tk * 1e3, prefillFlops / tk / 1e9, 100 * tk / tp);
            System.out.printf("decode 1 x %d keys: %.3f ms CPU = %.1f GB/s of K/V; stream peer %.3f ms = %.1f GB/s; ratio %.0f%%%n",
                    C, td * 1e3, decodeBytes / td / 1e9, ts * 1e3, decodeBytes / ts / 1e9, 100 * ts / td);
        }
    }

    /** Best thread CPU time of {@code n} runs, in seconds. */
    private static double best(Runnable r, int n) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            long t0 = MX.getCurrentThreadCpuTime();
            r.run();
            best = Math.min(best, MX.getCurrentThreadCpuTime() - t0);
        }
        return best / 1e9;
    }

    private static float sum(float[] a, float[] b) {
        FloatVector x = FloatVector.zero(S), y = x;
        for (int i = 0; i + S.length() <= a.length; i += S.length()) {
            x = x.add(FloatVector.fromArray(S, a, i));
            y = y.add(FloatVector.fromArray(S, b, i));
        }
        return x.add(y).reduceLanes(VectorOperators.ADD);
    }
}
