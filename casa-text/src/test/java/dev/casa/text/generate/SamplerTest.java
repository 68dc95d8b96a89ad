package dev.casa.text.generate;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Checks each filter against distributions whose filtered support follows from the HF definitions. */
class SamplerTest {

    private static float[] logitsOf(double... probs) {
        float[] x = new float[probs.length];
        for (int i = 0; i < probs.length; i++) x[i] = (float) Math.log(probs[i]);
        return x;
    }

    private static Set<Integer> support(SamplingOptions options, float[] logits, int draws) {
        Sampler s = new Sampler(options);
        Set<Integer> seen = new TreeSet<>();
        for (int i = 0; i < draws; i++) seen.add(s.next(logits, 0, logits.length, null, 0));
        return seen;
    }

    @Test
    void greedyIsArgmaxAndIgnoresSeed() {
        float[] x = {0.1f, 2.5f, -1f, 2.4f};
        assertEquals(1, new Sampler(SamplingOptions.greedy()).next(x, 0, 4, null, 0));
        assertEquals(1, new Sampler(SamplingOptions.greedy().withSeed(99)).next(x, 0, 4, null, 0));
    }

    @Test
    void readsTheRowAtTheOffsetWithoutModifyingIt() {
        float[] x = {9f, 9f, 0f, 1f, 3f};
        float[] copy = x.clone();
        assertEquals(2, new Sampler(SamplingOptions.greedy()).next(x, 2, 3, null, 0));
        assertArrayEquals(copy, x);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        float[] x = {2f, -2f, 1.5f};
        // With penalty 2 and tokens 0 and 1 seen: [1, -4, 1.5] so token 2 wins.
        SamplingOptions o = SamplingOptions.greedy().withRepetitionPenalty(2f);
        assertEquals(2, new Sampler(o).next(x, 0, 3, new int[] {0, 1, 0}, 3));
        // Only the first historyLength ids count.
        assertEquals(0, new Sampler(o).next(x, 0, 3, new int[] {1, 0}, 1));
    }

    @Test
    void topKKeepsTheKMostLikely() {
        float[] x = logitsOf(0.1, 0.4, 0.3, 0.2);
        assertEquals(Set.of(1, 2), support(new SamplingOptions(1f, 2, 1f, 0f, 1f, 7), x, 2000));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] x = logitsOf(0.5, 0.3, 0.15, 0.05);
        // Ascending cumulative: 0.05, 0.20, 0.50, 1.0; with top_p 0.75 those <= 0.25 go.
        assertEquals(Set.of(0, 1), support(new SamplingOptions(1f, 0, 0.75f, 0f, 1f, 3), x, 3000));
        // A tiny top_p still keeps the most likely token.
        assertEquals(Set.of(0), support(new SamplingOptions(1f, 0, 0.01f, 0f, 1f, 3), x, 500));
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        float[] x = logitsOf(0.5, 0.3, 0.15, 0.05);
        // Threshold 0.2 * 0.5 = 0.1 removes only the 0.05 token.
        assertEquals(Set.of(0, 1, 2), support(new SamplingOptions(1f, 0, 1f, 0.2f, 1f, 5), x, 4000));
    }

    @Test
    void drawsFollowTheTemperedDistribution() {
        double[] p = {0.5, 0.3, 0.15, 0.05};
        float[] x = logitsOf(p);
        float t = 2f;
        double[] tempered = new double[4];
        double z = 0;
        for (int i = 0; i < 4; i++) z += tempered[i] = Math.pow(p[i], 1 / t);
        int n = 40_000;
        int[] counts = new int[4];
        Sampler s = new Sampler(new SamplingOptions(t, 0, 1f, 0f, 1f, 11));
        for (int i = 0; i < n; i++) counts[s.next(x, 0, 4, null, 0)]++;
        for (int i = 0; i < 4; i++) {
            double expected = tempered[i] / z;
            double sigma = Math.sqrt(expected * (1 - expected) / n);
            assertEquals(expected, counts[i] / (double) n, 5 * sigma, "token " + i);
        }
    }

    @Test
    void sameSeedSameSequence() {
        float[] x = logitsOf(0.25, 0.25, 0.25, 0.25);
        Sampler a = new Sampler(new SamplingOptions(1f, 0, 1f, 0f, 1f, 42));
        Sampler b = new Sampler(new SamplingOptions(1f, 0, 1f, 0f, 1f, 42));
        for (int i = 0; i < 100; i++) assertEquals(a.next(x, 0, 4, null, 0), b.next(x, 0, 4, null, 0));
    }

    /** The seed is used: two seeds give different draws from a flat distribution (P(equal 100 draws) = 4^-100). */
    @Test
    void differentSeedsDifferentSequences() {
        float[] x = logitsOf(0.25, 0.25, 0.25, 0.25);
        Sampler a = new Sampler(new SamplingOptions(1f, 0, 1f, 0f, 1f, 42));
        Sampler b = new Sampler(new SamplingOptions(1f, 0, 1f, 0f, 1f, 43));
        boolean differ = false;
        for (int i = 0; i < 100; i++) differ |= a.next(x, 0, 4, null, 0) != b.next(x, 0, 4, null, 0);
        assertTrue(differ);
    }

    @Test
    void rejectsBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(-1f, 0, 1f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, -1, 1f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, 0, 0f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, 0, 1f, 1.5f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(1f, 0, 1f, 0f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingOptions(Float.NaN, 0, 1f, 0f, 1f, 0));
    }
}
