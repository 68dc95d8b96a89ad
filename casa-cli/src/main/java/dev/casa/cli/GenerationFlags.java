package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.SamplingOptions;
import picocli.CommandLine.Option;

/** The sampling and length options shared by the generating commands. */
final class GenerationFlags {
    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "answer length limit (default: generation_config.json's max_new_tokens, else 64);"
                    + " an answer also stops when the context (max_position_embeddings) is full")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T",
            description = "0 = greedy; > 0 samples (default: the model's generation_config.json, else greedy)")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "keep the K most likely tokens (0 = off)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "nucleus sampling mass (1 = off)")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "drop tokens below P x the best (0 = off)")
    Float minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "HF repetition penalty (1 = off)")
    Float repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "random seed for sampling")
    long seed;

    @Option(names = "--stats", description = "print load time, prefill and decode speed on stderr")
    boolean stats;

    /** The model's defaults (generation_config.json), with every flag given on the command line overriding them. */
    GenerationOptions toOptions(CasaModel model) {
        if (maxNewTokens != null && maxNewTokens < 0) throw new IllegalArgumentException("--max-new-tokens must be >= 0, got " + maxNewTokens);
        GenerationOptions d = model.defaultGenerationOptions();
        SamplingOptions s = d.sampling().withSeed(seed);
        if (temperature != null) s = s.withTemperature(temperature);
        if (topK != null) s = s.withTopK(topK);
        if (topP != null) s = s.withTopP(topP);
        if (minP != null) s = s.withMinP(minP);
        if (repetitionPenalty != null) s = s.withRepetitionPenalty(repetitionPenalty);
        return new GenerationOptions(maxNewTokens != null ? maxNewTokens : d.maxNewTokens(), s, d.stopTokenIds());
    }
}
