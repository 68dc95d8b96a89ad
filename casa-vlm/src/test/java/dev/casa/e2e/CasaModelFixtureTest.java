package dev.casa.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.CasaModel;
import dev.casa.ForwardRequest;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.Generator;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LogitsMode;
import dev.casa.image.EncodedImage;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The whole pipeline from image files to logits (decode, Pillow-exact preprocessing, SigLIP, projector,
 * decoder with CASA or insertion) against the PyTorch reference's logits, in one prefill and token by token.
 */
class CasaModelFixtureTest {
    private static final Map<Path, CasaModel> MODELS = new HashMap<>();

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(CasaModel::close);
    }

    private static CasaModel model(Path dir) {
        return MODELS.computeIfAbsent(dir, CasaModel::load);
    }

    @TestFactory
    Stream<DynamicTest> logitsFromImageFilesMatchTheReference() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path c : FixturePaths.visionCases()) {
            if (!Files.exists(c.resolve("logits.npy"))) continue;
            String name = c.getParent().getParent().getFileName() + "/" + c.getFileName();
            tests.add(DynamicTest.dynamicTest(name, () -> check(c)));
        }
        assertTrue(tests.size() >= 20, "expected the reference's vision/CASA/insertion cases, found " + tests.size());
        return tests.stream();
    }

    private void check(Path caseDir) throws IOException {
        CasaModel model = model(caseDir.getParent().getParent());
        var req = parseRequest(caseDir.resolve("request.json"));
        List<RgbImage> images = new ArrayList<>();
        for (Path p : req.images()) images.add(ImageDecoder.decode(p));
        float[] expected = Npy.read(caseDir.resolve("logits.npy")).toFloats();
        float[] prefill = model.forward(req.tokens(), images, req.insertAt(), true, 0);
        float[] decode = model.forward(req.tokens(), images, req.insertAt(), false, 0);
        assertClose(expected, prefill, "prefill");
        assertClose(expected, decode, "decode");
    }

    @TestFactory
    Stream<DynamicTest> generatorGreedyContinuationsMatchTheReference() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path c : FixturePaths.visionCases()) {
            if (!Files.exists(c.resolve("greedy.json"))) continue;
            String name = c.getParent().getParent().getFileName() + "/" + c.getFileName();
            tests.add(DynamicTest.dynamicTest(name, () -> checkGreedy(c)));
        }
        assertTrue(tests.size() >= 20, "expected greedy cases, found " + tests.size());
        return tests.stream();
    }

    /** Prefill from image files, then the library's Generator (greedy sampler + KV-cache decode loop). */
    private void checkGreedy(Path caseDir) throws IOException {
        CasaModel model = model(caseDir.getParent().getParent());
        var req = parseRequest(caseDir.resolve("request.json"));
        int[] expected = greedy(caseDir);
        List<ImageInput> inputs = new ArrayList<>();
        int imageTokens = 0;
        for (int i = 0; i < req.images().size(); i++) {
            EncodedImage e = model.embedImage(ImageDecoder.decode(req.images().get(i)));
            inputs.add(new ImageInput(e.embeddings(), e.tokens(), req.insertAt()[i], e.gridRows(), e.gridCols()));
            imageTokens += e.tokens();
        }
        DecoderState state = model.languageModel().newState(req.tokens().length + expected.length + 1 + imageTokens);
        float[] last = model.languageModel().forward(state, model.fusion().input(req.tokens(), inputs, state), LogitsMode.LAST);
        GenerationResult r = new Generator(model.languageModel(), model.tokenizer())
                .generate(state, last, req.tokens(), GenerationOptions.greedy(expected.length), TokenListener.NONE);
        assertArrayEquals(expected, r.tokens());
        assertEquals(StopReason.MAX_TOKENS, r.stopReason());
    }

    static ForwardRequest parseRequest(Path file) throws IOException {
        return ForwardRequest.parse(file);
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": logits size");
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        double tol = 1e-3 * Math.max(1, maxRef);
        assertTrue(maxDiff <= tol, what + ": max |diff| " + maxDiff + " > " + tol);
    }

    /** Reads the greedy continuation recorded by the reference. */
    static int[] greedy(Path caseDir) throws IOException {
        JsonNode g = new ObjectMapper().readTree(Files.readString(caseDir.resolve("greedy.json")));
        int[] ids = new int[g.get("generated").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = g.get("generated").get(i).asInt();
        return ids;
    }
}
