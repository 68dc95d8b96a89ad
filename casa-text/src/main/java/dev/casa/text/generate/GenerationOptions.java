package dev.casa.text.generate;

import java.util.List;

/**
 * Limits and sampling for one generation. {@code stopTokenIds} (usually the model's EOS ids) end the
 * generation; the stop token is not part of the returned text. {@code stopStrings} end it too, as
 * soon as one appears in the decoded text; the text ends before it (OpenAI's {@code stop}).
 */
public record GenerationOptions(int maxNewTokens, SamplingOptions sampling, int[] stopTokenIds, List<String> stopStrings) {
    public GenerationOptions {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
    }

    public GenerationOptions(int maxNewTokens, SamplingOptions sampling, int[] stopTokenIds) {
        this(maxNewTokens, sampling, stopTokenIds, List.of());
    }

    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, SamplingOptions.greedy(), new int[0]);
    }

    @Override
    public int[] stopTokenIds() { return stopTokenIds.clone(); }

    public boolean isStop(int id) {
        for (int s : stopTokenIds) if (s == id) return true;
        return false;
    }

    public GenerationOptions withStopTokens(int[] ids) { return new GenerationOptions(maxNewTokens, sampling, ids, stopStrings); }

    public GenerationOptions withStopStrings(List<String> strings) {
        return new GenerationOptions(maxNewTokens, sampling, stopTokenIds, strings);
    }

    public GenerationOptions withSampling(SamplingOptions s) { return new GenerationOptions(maxNewTokens, s, stopTokenIds, stopStrings); }

    public GenerationOptions withMaxNewTokens(int n) { return new GenerationOptions(n, sampling, stopTokenIds, stopStrings); }
}
