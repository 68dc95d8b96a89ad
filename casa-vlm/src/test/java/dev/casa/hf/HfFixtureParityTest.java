package dev.casa.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.CasaModel;
import dev.casa.ForwardRequest;
import dev.casa.Parity;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every model case of models/fixtures/hf (Hugging Face transformers v4.51.3's own float64 outputs on tiny
 * random models): the logits of {@code casa forward} in prefill and decode mode, max |Δ| ≤ 2e-3
 * (hf-models.md).
 */
class HfFixtureParityTest {
    static final double TOLERANCE = 2e-3;

    /** The cases this library runs today, by family; a new case or a family that lands adds to it. */
    static final List<String> CASES = List.of("llama_text", "llama3_rope_text", "helium_text", "qwen2_text",
            "qwen25vl_one_image", "qwen25vl_two_images", "qwen25vl_text_only_tied", "qwen25vl_bf16_weights", "qwen2vl_one_image",
            "smolvlm_split", "smolvlm_nosplit", "idefics3_one_image");

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("models/fixtures/hf");
            if (Files.isDirectory(f)) return f;
        }
        throw new IllegalStateException("models/fixtures/hf not found above " + Path.of("").toAbsolutePath());
    }

    @TestFactory
    Stream<DynamicTest> logitsMatchHfInPrefillAndDecode() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : CASES) {
            Path c = root().resolve(name);
            tests.add(DynamicTest.dynamicTest(name, () -> check(c)));
        }
        return tests.stream();
    }

    static void check(Path caseDir) throws IOException {
        try (CasaModel model = CasaModel.load(caseDir.resolve("model"))) {
            ForwardRequest req = ForwardRequest.parse(caseDir.resolve("request.json"));
            List<RgbImage> images = new ArrayList<>();
            for (Path p : req.images()) images.add(ImageDecoder.decode(p));
            for (String mode : new String[] {"prefill", "decode"}) {
                NpyArray ref = Npy.read(caseDir.resolve(mode + "_logits.npy"));
                float[] got = Parity.logits(model, req, req.tokens(), images, mode.equals("prefill"));
                assertArrayEquals(new long[] {req.tokens().length, model.textConfig().vocabSize()}, ref.shape(), mode + " shape");
                assertClose(ref.toFloats(), got, caseDir.getFileName() + " " + mode);
            }
        }
    }

    static void assertClose(float[] ref, float[] got, String what) {
        assertEquals(ref.length, got.length, what + ": size");
        double max = 0;
        for (int i = 0; i < ref.length; i++) max = Math.max(max, Math.abs((double) ref[i] - got[i]));
        System.out.printf("%s: max |diff| %.3g%n", what, max);
        assertTrue(max <= TOLERANCE, what + ": max |diff| " + max + " > " + TOLERANCE);
    }
}
