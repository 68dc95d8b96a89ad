package dev.casa.server;

import dev.casa.CasaModel;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.SamplingOptions;
import dev.casa.text.generate.StopReason;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Request parameters to generation options, and results to OpenAI's words. */
final class Generation {
    private Generation() {}

    /**
     * The model's defaults (generation_config.json, EOS ids), with what the request set. A request that
     * sets {@code temperature} or {@code top_p} samples as OpenAI does (temperature 1 and top_p 1 unless
     * given; 0 for either means greedy); one that sets neither keeps the model's defaults. Without a
     * seed a sampled answer gets a random one.
     */
    static GenerationOptions options(CasaModel model, ChatRequest.Sampling s, int maxNewTokens, List<String> stop) {
        GenerationOptions base = model.defaultGenerationOptions();
        SamplingOptions sampling = base.sampling();
        if (s.temperature() != null || s.topP() != null) {
            double t = s.temperature() == null ? 1.0 : s.temperature();
            double p = s.topP() == null ? 1.0 : s.topP();
            if (t == 0 || p == 0) {
                sampling = sampling.withTemperature(0f);
            } else {
                sampling = sampling.withTemperature((float) t).withTopP((float) p);
            }
        }
        if (!sampling.isGreedy()) {
            sampling = sampling.withSeed(s.seed() != null ? s.seed() : ThreadLocalRandom.current().nextLong());
        }
        return base.withSampling(sampling).withMaxNewTokens(maxNewTokens).withStopStrings(stop);
    }

    /** The answer length when the request sets none: generation_config.json's, else the rest of the context. */
    static int defaultMaxTokens(CasaModel model, int context) {
        Integer configured = model.generationConfig().maxNewTokens();
        return configured != null ? Math.min(configured, context) : context;
    }

    static String finishReason(StopReason r) {
        return switch (r) {
            case STOP_TOKEN, STOP_STRING -> "stop";
            case MAX_TOKENS, CACHE_FULL -> "length";
            case CANCELLED -> "cancelled";
        };
    }
}
