package dev.casa.text.generate;

/**
 * Limits and sampling for one generation. {@code stopTokenIds} (usually the model's EOS ids) end the
 * generation; the stop token is not part of the returned text.
 */
public record GenerationOptions(int maxNewTokens, SamplingOptions sampling, int[] stopTokenIds) {
    public GenerationOptions {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max new tokens must be >= 0, got " + maxNewTokens);
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
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

    public GenerationOptions withStopTokens(int[] ids) { return new GenerationOptions(maxNewTokens, sampling, ids); }

    public GenerationOptions withSampling(SamplingOptions s) { return new GenerationOptions(maxNewTokens, s, stopTokenIds); }

    public GenerationOptions withMaxNewTokens(int n) { return new GenerationOptions(n, sampling, stopTokenIds); }
}
