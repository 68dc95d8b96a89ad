package dev.casa.text.generate;

/**
 * What a generation produced: the tokens (without the stop token), their text, the stop token
 * (-1 unless {@link StopReason#STOP_TOKEN}) and the decode time.
 */
public record GenerationResult(int[] tokens, String text, StopReason stopReason, int stopToken, long decodeNanos) {
    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    /** Generated tokens per second of decode (the first token comes from the prefill's logits). */
    public double decodeTokensPerSecond() {
        int decoded = Math.max(0, tokens.length - 1 + (stopReason == StopReason.STOP_TOKEN ? 1 : 0));
        return decodeNanos == 0 ? 0 : decoded / (decodeNanos / 1e9);
    }
}
