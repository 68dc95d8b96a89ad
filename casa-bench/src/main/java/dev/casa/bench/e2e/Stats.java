package dev.casa.bench.e2e;

import java.util.Arrays;

/** Medians and friends over timed samples. */
public final class Stats {
    private Stats() {}

    public static double median(double[] samples) {
        double[] s = samples.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public static double min(double[] samples) {
        return Arrays.stream(samples).min().orElse(Double.NaN);
    }

    public static double max(double[] samples) {
        return Arrays.stream(samples).max().orElse(Double.NaN);
    }
}
