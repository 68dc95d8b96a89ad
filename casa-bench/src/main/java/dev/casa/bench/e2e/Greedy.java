package dev.casa.bench.e2e;

/** Greedy token choice over one row of logits. */
public final class Greedy {
    private Greedy() {}

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
