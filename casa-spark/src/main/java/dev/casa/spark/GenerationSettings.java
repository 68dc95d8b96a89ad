package dev.casa.spark;

import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.SamplingOptions;
import java.io.Serializable;

/**
 * Generation options as overrides of the model's defaults (generation_config.json), shipped to the
 * executors. A null field keeps the model's value. Every row starts from the same options (and the same
 * seed when sampling), so an answer does not depend on how the rows are partitioned.
 */
public record GenerationSettings(Integer maxNewTokens, Float temperature, Integer topK, Float topP, Float minP,
                                 Float repetitionPenalty, Long seed) implements Serializable {

    public GenerationSettings {
        // Validate now, on the driver: the same checks as the library's, against greedy defaults.
        apply(GenerationOptions.greedy(1), maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, seed);
    }

    /** The model's defaults, unchanged. */
    public static GenerationSettings defaults() {
        return new GenerationSettings(null, null, null, null, null, null, null);
    }

    public GenerationSettings withMaxNewTokens(int n) { return new GenerationSettings(n, temperature, topK, topP, minP, repetitionPenalty, seed); }
    public GenerationSettings withTemperature(float t) { return new GenerationSettings(maxNewTokens, t, topK, topP, minP, repetitionPenalty, seed); }
    public GenerationSettings withTopK(int k) { return new GenerationSettings(maxNewTokens, temperature, k, topP, minP, repetitionPenalty, seed); }
    public GenerationSettings withTopP(float p) { return new GenerationSettings(maxNewTokens, temperature, topK, p, minP, repetitionPenalty, seed); }
    public GenerationSettings withMinP(float p) { return new GenerationSettings(maxNewTokens, temperature, topK, topP, p, repetitionPenalty, seed); }
    public GenerationSettings withRepetitionPenalty(float r) { return new GenerationSettings(maxNewTokens, temperature, topK, topP, minP, r, seed); }
    public GenerationSettings withSeed(long s) { return new GenerationSettings(maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, s); }

    /** {@code defaults} (the model's) with these overrides. */
    public GenerationOptions apply(GenerationOptions defaults) {
        return apply(defaults, maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, seed);
    }

    private static GenerationOptions apply(GenerationOptions d, Integer max, Float temperature, Integer topK, Float topP,
                                           Float minP, Float penalty, Long seed) {
        SamplingOptions s = d.sampling();
        if (temperature != null) s = s.withTemperature(temperature);
        if (topK != null) s = s.withTopK(topK);
        if (topP != null) s = s.withTopP(topP);
        if (minP != null) s = s.withMinP(minP);
        if (penalty != null) s = s.withRepetitionPenalty(penalty);
        if (seed != null) s = s.withSeed(seed);
        GenerationOptions o = d.withSampling(s);
        return max == null ? o : o.withMaxNewTokens(max);
    }
}
