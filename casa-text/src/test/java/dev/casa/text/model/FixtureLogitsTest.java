package dev.casa.text.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LogitsMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The decoder against the PyTorch float64 reference fixtures (models/fixtures, FIXTURES.md): for
 * every text-only, CASA and insertion case, prefill logits, token-by-token decode logits and the
 * greedy continuation. Image embeddings come from the case's image_embeddings.npy, so the decoder
 * is tested independently of the vision tower.
 */
class FixtureLogitsTest {
    private static final ThreadPool POOL = new ThreadPool(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterAll
    static void closePool() { POOL.close(); }

    static Path fixturesDir() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("models/fixtures"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("models/fixtures not found above " + Path.of("").toAbsolutePath());
        return dir.resolve("models/fixtures");
    }

    /** Fixtures with a language model and cases holding reference logits. */
    static List<Path> languageFixtures() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(fixturesDir())) {
            for (Path dir : dirs.sorted().toList()) {
                Path cases = dir.resolve("cases");
                if (!Files.isDirectory(cases)) continue;
                try (Stream<Path> cs = Files.list(cases)) {
                    if (cs.anyMatch(c -> Files.exists(c.resolve("logits.npy")))) out.add(dir);
                }
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicNode> everyFixtureCase() throws IOException {
        List<Path> fixtures = languageFixtures();
        assertTrue(fixtures.size() >= 10, "expected the text, CASA and insertion fixtures, found " + fixtures);
        return fixtures.stream().map(dir -> {
            List<DynamicTest> tests = new ArrayList<>();
            try (Stream<Path> cs = Files.list(dir.resolve("cases"))) {
                for (Path c : cs.sorted().toList()) {
                    if (Files.exists(c.resolve("logits.npy"))) {
                        tests.add(DynamicTest.dynamicTest(c.getFileName().toString(), () -> checkCase(dir, c)));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return DynamicContainer.dynamicContainer(dir.getFileName().toString(), tests);
        });
    }

    private static void checkCase(Path dir, Path caseDir) throws IOException {
        TinyConfig config = TinyConfig.load(dir);
        try (TensorStore store = ModelWeights.open(dir)) {
            Decoder decoder = Decoder.load(config, store, POOL);
            int vocab = config.text().vocabSize();
            JsonNode request = JSON.readTree(caseDir.resolve("request.json").toFile());
            int[] tokens = ints(request.get("tokens"));
            List<ImageInput> images = images(request, caseDir, config.text().hiddenSize());
            NpyArray refArray = Npy.read(caseDir.resolve("logits.npy"));
            assertArrayEquals(new long[] {tokens.length, vocab}, refArray.shape());
            float[] ref = refArray.toFloats();
            String what = dir.getFileName() + "/" + caseDir.getFileName();

            // Prefill: the whole request in one pass.
            DecoderState prefillState = decoder.newState();
            float[] prefill = decoder.forward(prefillState, tokens, images, LogitsMode.ALL);
            assertWithinTolerance(ref, prefill, what + " prefill");

            // Decode: one token at a time, images attached when their insertion point is reached.
            DecoderState state = decoder.newState();
            float[] decoded = new float[tokens.length * vocab];
            float[] last = null;
            for (int j = 0; j <= tokens.length; j++) {
                for (ImageInput img : images) {
                    if (img.insertAt() != j) continue;
                    float[] l = decoder.forward(state, new int[0], List.of(new ImageInput(img.embeddings(), img.numTokens(), 0)),
                            LogitsMode.LAST);
                    if (l.length > 0) last = l;
                }
                if (j == tokens.length) break;
                last = decoder.addTokens(state, new int[] {tokens[j]}, LogitsMode.LAST);
                System.arraycopy(last, 0, decoded, j * vocab, vocab);
            }
            assertWithinTolerance(ref, decoded, what + " decode");
            assertEquals(prefillState.selfAttentionKvEntries(), state.selfAttentionKvEntries());

            // Greedy continuation after the request, from the prefill state and from the decode state.
            Path greedyFile = caseDir.resolve("greedy.json");
            if (Files.exists(greedyFile)) {
                JsonNode greedy = JSON.readTree(greedyFile.toFile());
                int[] expected = ints(greedy.get("generated"));
                int n = greedy.get("max_new_tokens").asInt();
                float[] fromPrefill = decoder.forward(decoder.newState(), tokens, images, LogitsMode.LAST);
                assertArrayEquals(expected, generate(decoder, prefillState, fromPrefill, n), what + " greedy after prefill");
                assertArrayEquals(expected, generate(decoder, state, last, n), what + " greedy after decode");
            }
        }
    }

    /** Greedy ids: argmax of the current logits, fed back until n ids. */
    private static int[] generate(Decoder decoder, DecoderState state, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            assertFalse(logits == null || logits.length == 0, "no logits to continue from");
            out[i] = argmax(logits);
            if (i + 1 < n) logits = decoder.addTokens(state, new int[] {out[i]}, LogitsMode.LAST);
        }
        return out;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static List<ImageInput> images(JsonNode request, Path caseDir, int hidden) throws IOException {
        JsonNode specs = request.get("images");
        List<ImageInput> out = new ArrayList<>();
        if (specs == null || specs.isEmpty()) return out;
        NpyArray e = Npy.read(caseDir.resolve("image_embeddings.npy"));
        float[] data = e.toFloats();
        assertEquals(specs.size(), e.shape()[0]);
        assertEquals(hidden, e.shape()[2]);
        int n = (int) e.shape()[1];
        for (int m = 0; m < specs.size(); m++) {
            float[] rows = Arrays.copyOfRange(data, m * n * hidden, (m + 1) * n * hidden);
            out.add(new ImageInput(rows, n, specs.get(m).get("insert_at").asInt()));
        }
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** FIXTURES.md: max |diff| ≤ 1e-3 · max(1, max |reference|). */
    private static void assertWithinTolerance(float[] ref, float[] actual, String what) {
        assertEquals(ref.length, actual.length, what + ": size");
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs((double) ref[i] - actual[i]));
        }
        assertTrue(maxDiff <= 1e-3 * Math.max(1, maxRef), what + ": max |diff| " + maxDiff + " > 1e-3 * max(1, " + maxRef + ")");
    }
}
