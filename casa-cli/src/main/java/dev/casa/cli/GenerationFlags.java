package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.SamplingOptions;
import picocli.CommandLine.Option;

/** The sampling and length options shared by the generating commands. */
final class GenerationFlags {
    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "answer length limit (default 64)")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
            description = "0 = greedy (default); > 0 samples")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "keep the K most likely tokens (0 = off)")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "nucleus sampling mass (1 = off)")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "drop tokens below P x the best (0 = off)")
    float minP;

    @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1", description = "HF repetition penalty (1 = off)")
    float repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "random seed for sampling")
    long seed;

    @Option(names = "--stats", description = "print load time, prefill and decode speed on stderr")
    boolean stats;

    GenerationOptions toOptions(CasaModel model) {
        SamplingOptions s = new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, seed);
        return new GenerationOptions(maxNewTokens, s, model.eosTokenIds());
    }
}
