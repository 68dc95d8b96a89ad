package dev.casa.text.generate;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.ConfigValueException;
import java.util.List;

/**
 * A model's generation_config.json: stop ids and HF {@code generate}'s sampling defaults. Every key may
 * be absent. {@link #defaults} turns it into the options a caller starts from, with HF's semantics:
 * {@code do_sample} false (the default) means greedy whatever the temperature says; with sampling,
 * absent keys take HF's defaults (temperature 1, top_k 50, top_p 1).
 */
public record GenerationConfig(
        @JsonProperty("eos_token_id") @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> eosTokenIds,
        @JsonProperty("bos_token_id") Integer bosTokenId,
        @JsonProperty("pad_token_id") Integer padTokenId,
        @JsonProperty("do_sample") Boolean doSample,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        @JsonProperty("max_new_tokens") Integer maxNewTokens) {

    /** HF GenerationConfig's defaults for the sampling keys. */
    static final double HF_TEMPERATURE = 1.0, HF_TOP_P = 1.0;
    static final int HF_TOP_K = 50;

    public GenerationConfig {
        eosTokenIds = ConfigChecks.copy(eosTokenIds);
        if (temperature != null && !(temperature >= 0)) throw new ConfigValueException("temperature", "expected a number >= 0, found " + temperature);
        if (topK != null && topK < 0) throw new ConfigValueException("top_k", "expected an integer >= 0, found " + topK);
        if (topP != null && !(topP > 0 && topP <= 1)) throw new ConfigValueException("top_p", "expected a number in (0, 1], found " + topP);
        if (minP != null && !(minP >= 0 && minP <= 1)) throw new ConfigValueException("min_p", "expected a number in [0, 1], found " + minP);
        if (repetitionPenalty != null && !(repetitionPenalty > 0)) {
            throw new ConfigValueException("repetition_penalty", "expected a number > 0, found " + repetitionPenalty);
        }
        if (maxNewTokens != null && maxNewTokens < 0) throw new ConfigValueException("max_new_tokens", "expected an integer >= 0, found " + maxNewTokens);
    }

    /** No file: every default. */
    public static GenerationConfig empty() {
        return new GenerationConfig(null, null, null, null, null, null, null, null, null, null);
    }

    /** True when the file asks for sampling. */
    public boolean sampling() { return Boolean.TRUE.equals(doSample) && (temperature == null || temperature > 0); }

    /**
     * The options a generation starts from: the file's sampling settings (greedy unless {@code do_sample}),
     * its repetition penalty (applied in greedy decoding too, as HF does), its {@code max_new_tokens} or
     * {@code fallbackMaxNewTokens}, and {@code stopIds}.
     */
    public GenerationOptions defaults(int fallbackMaxNewTokens, int[] stopIds) {
        float penalty = repetitionPenalty == null ? 1f : repetitionPenalty.floatValue();
        SamplingOptions s = SamplingOptions.greedy().withRepetitionPenalty(penalty);
        if (sampling()) {
            s = s.withTemperature((float) (temperature == null ? HF_TEMPERATURE : temperature))
                    .withTopK(topK == null ? HF_TOP_K : topK)
                    .withTopP((float) (topP == null ? HF_TOP_P : topP))
                    .withMinP(minP == null ? 0f : minP.floatValue());
        }
        int max = maxNewTokens == null ? fallbackMaxNewTokens : maxNewTokens;
        return new GenerationOptions(max, s, stopIds);
    }
}
