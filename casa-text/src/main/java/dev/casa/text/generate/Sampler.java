package dev.casa.text.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits. Order as Hugging Face applies its processors:
 * repetition penalty, then temperature, top-k, top-p, min-p, then a draw from the softmax.
 * One sampler per generation: it owns the seeded random stream and scratch arrays.
 */
public final class Sampler {
    private final SamplingOptions options;
    private final SplittableRandom random;
    private float[] scratch = new float[0];
    private Integer[] order = new Integer[0];

    public Sampler(SamplingOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    public SamplingOptions options() { return options; }

    /**
     * The next token id.
     *
     * @param logits  row of {@code vocab} logits starting at {@code offset}; not modified
     * @param history ids already in the sequence (prompt and generated), for the repetition penalty
     */
    public int next(float[] logits, int offset, int vocab, int[] history, int historyLength) {
        if (scratch.length < vocab) scratch = new float[vocab];
        float[] x = scratch;
        System.arraycopy(logits, offset, x, 0, vocab);
        applyRepetitionPenalty(x, vocab, history, historyLength, options.repetitionPenalty());
        if (options.isGreedy()) return argmax(x, vocab);
        float t = options.temperature();
        for (int i = 0; i < vocab; i++) x[i] /= t;
        if (options.topK() > 0 && options.topK() < vocab) applyTopK(x, vocab, options.topK());
        if (options.topP() < 1f) applyTopP(x, vocab, options.topP());
        if (options.minP() > 0f) applyMinP(x, vocab, options.minP());
        return draw(x, vocab);
    }

    /** HF: a seen token's logit is divided by the penalty when positive, multiplied when negative. */
    static void applyRepetitionPenalty(float[] x, int vocab, int[] history, int length, float penalty) {
        if (penalty == 1f || history == null) return;
        boolean[] seen = new boolean[vocab];
        for (int i = 0; i < length; i++) {
            int id = history[i];
            if (id < 0 || id >= vocab || seen[id]) continue;
            seen[id] = true;
            x[id] = x[id] < 0 ? x[id] * penalty : x[id] / penalty;
        }
    }

    static int argmax(float[] x, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** Removes every logit strictly below the k-th largest (ties with it survive, as in HF). */
    static void applyTopK(float[] x, int vocab, int k) {
        float[] sorted = Arrays.copyOf(x, vocab);
        Arrays.sort(sorted);
        float kth = sorted[vocab - k];
        for (int i = 0; i < vocab; i++) if (x[i] < kth) x[i] = Float.NEGATIVE_INFINITY;
    }

    /**
     * HF TopPLogitsWarper: sort ascending, drop the tokens whose cumulative probability is
     * {@code <= 1 - topP}, always keeping the most likely token.
     */
    void applyTopP(float[] x, int vocab, float topP) {
        Integer[] idx = ascendingOrder(x, vocab);
        double[] p = softmax(x, vocab);
        double cumulative = 0;
        for (int r = 0; r < vocab - 1; r++) {
            int id = idx[r];
            cumulative += p[id];
            if (cumulative <= 1.0 - topP) x[id] = Float.NEGATIVE_INFINITY;
        }
    }

    /** HF MinPLogitsWarper: drop tokens whose probability is below {@code minP · max probability}. */
    static void applyMinP(float[] x, int vocab, float minP) {
        double[] p = softmax(x, vocab);
        double max = 0;
        for (int i = 0; i < vocab; i++) max = Math.max(max, p[i]);
        double threshold = minP * max;
        for (int i = 0; i < vocab; i++) if (p[i] < threshold) x[i] = Float.NEGATIVE_INFINITY;
    }

    private int draw(float[] x, int vocab) {
        double[] p = softmax(x, vocab);
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < vocab; i++) {
            if (p[i] == 0) continue;
            cumulative += p[i];
            last = i;
            if (u < cumulative) return i;
        }
        return last; // rounding left u above the total: take the last possible token
    }

    private Integer[] ascendingOrder(float[] x, int vocab) {
        if (order.length != vocab) order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) order[i] = i;
        // Stable sort: equal logits keep id order, as torch.sort on CPU does for ties in practice.
        Arrays.sort(order, (a, b) -> Float.compare(x[a], x[b]));
        return order;
    }

    static double[] softmax(float[] x, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, x[i]);
        double[] p = new double[vocab];
        if (max == Double.NEGATIVE_INFINITY) throw new IllegalStateException("every token was filtered out");
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = x[i] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < vocab; i++) p[i] /= sum;
        return p;
    }
}
