package dev.casa.text.generate;

import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.tokenizer.StreamingDecoder;
import dev.casa.text.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The decode loop: picks a token from the last logits, streams its text, feeds it back through the
 * KV cache, until a stop token, a stop string, the token limit, a full cache or the listener's
 * cancellation.
 */
public final class Generator {
    private final LanguageModel model;
    private final Tokenizer tokenizer;

    public Generator(LanguageModel model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * @param lastLogits the logits row after the prompt (from the prefill with {@link LogitsMode#LAST})
     * @param history    the ids so far (for the repetition penalty); generated ids are appended to a copy
     */
    public GenerationResult generate(DecoderState state, float[] lastLogits, int[] history,
                                     GenerationOptions options, TokenListener listener) {
        int vocab = model.config().vocabSize();
        if (lastLogits.length < vocab) throw new IllegalArgumentException("need a logits row of " + vocab + " values");
        Sampler sampler = new Sampler(options.sampling());
        StreamingDecoder text = tokenizer.streamingDecoder(true);
        StopStringMatcher stops = options.stopStrings().isEmpty() ? null : new StopStringMatcher(options.stopStrings());
        StringBuilder out = new StringBuilder();
        // Grown as tokens come: the limit may be far beyond what the cache lets a generation reach.
        int[] seen = Arrays.copyOf(history, history.length + 64);
        int seenLength = history.length;
        int[] generated = new int[64];
        int count = 0;
        float[] logits = lastLogits;
        int logitsOffset = lastLogits.length - vocab;
        StopReason reason = StopReason.MAX_TOKENS;
        int stopToken = -1;
        long start = System.nanoTime();
        if (listener.cancelled()) reason = StopReason.CANCELLED;
        while (reason != StopReason.CANCELLED && count < options.maxNewTokens()) {
            int next = sampler.next(logits, logitsOffset, vocab, seen, seenLength);
            if (options.isStop(next)) {
                // The stop token still enters the cache so a conversation can continue after it.
                if (state.selfAttentionKvEntries() < state.capacity()) model.addTokens(state, new int[] {next}, LogitsMode.NONE);
                reason = StopReason.STOP_TOKEN;
                stopToken = next;
                break;
            }
            if (count == generated.length) generated = Arrays.copyOf(generated, 2 * count);
            if (seenLength == seen.length) seen = Arrays.copyOf(seen, 2 * seenLength);
            generated[count++] = next;
            seen[seenLength++] = next;
            // A padding row of the embedding (an id the tokenizer does not define) has no text; HF's
            // decode skips such ids too. Trained models do not produce them.
            String piece = next < tokenizer.vocabSize() ? text.push(next) : "";
            if (stops != null) piece = stops.push(piece);
            out.append(piece);
            listener.onToken(next, piece);
            if (stops != null && stops.matched()) {
                // The stop string's tokens are in the cache (as OpenAI servers keep them); the text ends before it.
                reason = StopReason.STOP_STRING;
                break;
            }
            if (state.selfAttentionKvEntries() >= state.capacity()) {
                reason = StopReason.CACHE_FULL;
                break;
            }
            // Checked before the next forward pass, so a cancellation costs at most the token in progress.
            if (listener.cancelled()) {
                reason = StopReason.CANCELLED;
                break;
            }
            boolean needLogits = count < options.maxNewTokens();
            logits = model.addTokens(state, new int[] {next}, needLogits ? LogitsMode.LAST : LogitsMode.NONE);
            logitsOffset = 0;
        }
        String tail = text.finish();
        if (stops != null && reason != StopReason.STOP_STRING) {
            tail = stops.push(tail);
            if (stops.matched()) reason = StopReason.STOP_STRING;
            else tail += stops.flush();
        }
        if (!tail.isEmpty()) {
            out.append(tail);
            listener.onToken(-1, tail);
        }
        return new GenerationResult(Arrays.copyOf(generated, count), out.toString(), reason, stopToken, System.nanoTime() - start);
    }
}
