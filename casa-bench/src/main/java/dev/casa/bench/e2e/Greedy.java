package dev.casa.bench.e2e;

import java.util.function.IntFunction;

/** Greedy token choice over one row of logits, and a timed greedy decode. */
public final class Greedy {
    private Greedy() {}

    /** Wall seconds of each timed step, and cores busy (process CPU time / wall time) over the timed steps. */
    public record TimedDecode(double[] seconds, double cores) {}

    /**
     * Greedy decode from token {@code first}: {@code warmup} untimed steps, then {@code tokens} timed ones;
     * {@code step} adds one token and returns the next row of logits.
     */
    public static TimedDecode time(IntFunction<float[]> step, int first, int vocab, int warmup, int tokens) {
        int next = first;
        double[] seconds = new double[tokens];
        double cpu0 = 0;
        long wall0 = 0;
        for (int i = -warmup; i < tokens; i++) {
            if (i == 0) {
                cpu0 = MachineState.processCpuSeconds();
                wall0 = System.nanoTime();
            }
            long t0 = System.nanoTime();
            float[] logits = step.apply(next);
            double s = (System.nanoTime() - t0) / 1e9;
            next = argmax(logits, vocab);
            if (i >= 0) seconds[i] = s;
        }
        return new TimedDecode(seconds, (MachineState.processCpuSeconds() - cpu0) / ((System.nanoTime() - wall0) / 1e9));
    }

    public static int argmax(float[] logits, int vocab) {
        if (logits.length < vocab) throw new IllegalStateException("expected a row of " + vocab + " logits, got " + logits.length);
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (!(logits[i] <= logits[best])) best = i;   // NaN wins, so a broken model shows up
        }
        if (Float.isNaN(logits[best]) || Float.isInfinite(logits[best])) {
            throw new IllegalStateException("non-finite logit " + logits[best] + " at token " + best);
        }
        return best;
    }

    /** Deterministic pseudo-random prompt ids in [10, vocab), avoiding the special ids. */
    public static int[] prompt(int length, int vocab, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = 10 + r.nextInt(vocab - 10);
        return ids;
    }
}
