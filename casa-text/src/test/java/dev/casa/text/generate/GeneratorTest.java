package dev.casa.text.generate;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.model.Decoder;
import dev.casa.text.model.TinyModel;
import dev.casa.text.tokenizer.Tokenizer;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cancellation and stop strings in the decode loop, on a tiny random model with GPT-2's tokenizer
 * (ids 0..39 are the characters '!' .. 'H'). Oracles: token counts, and the text of the same
 * generation run without a stop string.
 */
class GeneratorTest {
    private static final ThreadPool POOL = new ThreadPool(1);
    private static LanguageModel lm;
    private static Tokenizer tokenizer;
    private static final int[] PROMPT = {3, 7, 11, 2};

    @BeforeAll
    static void load() throws URISyntaxException {
        TinyModel m = new TinyModel().build();
        lm = Decoder.load(m.config(), m.store(), POOL).languageModel();
        tokenizer = Tokenizer.fromFile(Path.of(GeneratorTest.class.getResource("/tokenizers/gpt2.tokenizer.json").toURI()));
    }

    /** Sampling so the random model writes varied text; seeded, so every run is the same. */
    private static GenerationOptions options(int max) {
        return new GenerationOptions(max, SamplingOptions.greedy().withTemperature(1.5f).withSeed(7), new int[0]);
    }

    private record Run(GenerationResult result, List<Integer> ids, String streamed, DecoderState state) {}

    private static Run generate(GenerationOptions options, java.util.function.IntPredicate cancelAfter) {
        DecoderState state = lm.newState(64);
        float[] logits = lm.addTokens(state, PROMPT, LogitsMode.LAST);
        List<Integer> ids = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(int id, String text) {
                if (id >= 0) ids.add(id);
                streamed.append(text);
            }

            @Override
            public boolean cancelled() { return cancelAfter.test(ids.size()); }
        };
        GenerationResult r = new Generator(lm, tokenizer).generate(state, logits, PROMPT, options, listener);
        return new Run(r, ids, streamed.toString(), state);
    }

    @Test
    void aCancelledListenerStopsTheGenerationAfterTheTokenInProgress() {
        Run full = generate(options(40), n -> false);
        assertEquals(40, full.result().tokens().length);
        assertEquals(StopReason.MAX_TOKENS, full.result().stopReason());
        for (int k : new int[] {0, 1, 5, 17}) {
            Run r = generate(options(40), n -> n >= k);
            assertEquals(StopReason.CANCELLED, r.result().stopReason(), "cancel after " + k);
            assertEquals(k, r.result().tokens().length, "exactly the tokens produced before the cancellation");
            assertEquals(k, r.ids().size());
            // The same tokens as the uncancelled run, and no forward pass for a token never produced:
            // the cache holds the prompt and the k-1 tokens fed back (the k-th is not fed).
            assertArrayEquals(java.util.Arrays.copyOf(full.result().tokens(), k), r.result().tokens());
            assertEquals(PROMPT.length + Math.max(0, k - 1), r.state().selfAttentionKvEntries(), "cache entries after cancel at " + k);
        }
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() {
        Run full = generate(options(40), n -> false);
        String text = full.result().text();
        assertTrue(text.length() >= 20, "the random model writes text: '" + text + "'");
        // Stop strings taken from the middle of the unconstrained text (2 and 3 characters, across token boundaries).
        for (int at : new int[] {5, 11, 16}) {
            for (int len : new int[] {2, 3}) {
                String stop = text.substring(at, at + len);
                String expected = text.substring(0, text.indexOf(stop));
                Run r = generate(options(40).withStopStrings(List.of(stop)), n -> false);
                assertEquals(StopReason.STOP_STRING, r.result().stopReason(), "stop '" + stop + "'");
                assertEquals(expected, r.result().text(), "text before '" + stop + "'");
                assertEquals(expected, r.streamed(), "the listener never saw the stop string");
                // The tokens are those of the unconstrained run up to the one that completed the stop string.
                int[] t = r.result().tokens();
                assertArrayEquals(java.util.Arrays.copyOf(full.result().tokens(), t.length), t);
                String decoded = tokenizer.decode(t, true);
                assertTrue(decoded.contains(stop) && !tokenizer.decode(java.util.Arrays.copyOf(t, t.length - 1), true).contains(stop),
                        "it stopped at the first token that completed '" + stop + "'");
            }
        }
    }

    @Test
    void aStopStringThatNeverAppearsChangesNothing() {
        Run full = generate(options(30), n -> false);
        Run r = generate(options(30).withStopStrings(List.of("\u00e9\u00e9\u00e9", "zzzz")), n -> false);
        assertEquals(full.result().text(), r.result().text());
        assertEquals(full.result().text(), r.streamed());
        assertEquals(StopReason.MAX_TOKENS, r.result().stopReason());
    }
}
