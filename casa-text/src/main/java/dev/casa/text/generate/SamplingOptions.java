package dev.casa.text.generate;

/**
 * How the next token is chosen, with Hugging Face {@code generate} semantics. A temperature of 0
 * means greedy (argmax after the repetition penalty); {@code topK = 0}, {@code topP = 1} and
 * {@code minP = 0} disable those filters; a repetition penalty of 1 disables it.
 */
public record SamplingOptions(float temperature, int topK, float topP, float minP,
                              float repetitionPenalty, long seed) {

    public SamplingOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    public static SamplingOptions greedy() {
        return new SamplingOptions(0f, 0, 1f, 0f, 1f, 0L);
    }

    public boolean isGreedy() { return temperature == 0f; }

    public SamplingOptions withTemperature(float t) { return new SamplingOptions(t, topK, topP, minP, repetitionPenalty, seed); }
    public SamplingOptions withTopK(int k) { return new SamplingOptions(temperature, k, topP, minP, repetitionPenalty, seed); }
    public SamplingOptions withTopP(float p) { return new SamplingOptions(temperature, topK, p, minP, repetitionPenalty, seed); }
    public SamplingOptions withMinP(float p) { return new SamplingOptions(temperature, topK, topP, p, repetitionPenalty, seed); }
    public SamplingOptions withRepetitionPenalty(float r) { return new SamplingOptions(temperature, topK, topP, minP, r, seed); }
    public SamplingOptions withSeed(long s) { return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, s); }
}
