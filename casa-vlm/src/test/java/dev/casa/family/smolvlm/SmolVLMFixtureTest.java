package dev.casa.family.smolvlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.image.EncodedImage;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.processor.ProcessedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole image path of the Idefics3/SmolVLM family (decode → processor → SigLIP tiles → connector) against
 * HF v4.51.3's float64 outputs in models/fixtures/hf: each image's pixels (≤ 1e-5) and tiles (meta), and the
 * connector output {@code image_embeds.npy} {@code [tiles of all images, tokens per tile, hidden]} (≤ 1e-5 of
 * the largest |value|); the prompt layout gives exactly the request's placeholder runs.
 */
class SmolVLMFixtureTest {

    static Path caseDir(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models/fixtures/hf"))) return d.resolve("models/fixtures/hf").resolve(name);
        }
        throw new IllegalStateException("models/fixtures/hf not found");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"smolvlm_split", "smolvlm_nosplit", "idefics3_one_image"})
    void imagesMatchHf(String name) throws IOException {
        Path dir = caseDir(name);
        JsonNode c = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
        NpyArray embeds = Npy.read(dir.resolve("image_embeds.npy"));
        float[] ref = embeds.toFloats();
        int perTile = (int) embeds.shape()[1], width = (int) embeds.shape()[2];
        try (CasaModel model = CasaModel.load(dir.resolve("model"))) {
            assertEquals(c.get("arch").asText(), model.family());
            float[] got = new float[ref.length];
            int at = 0;
            for (JsonNode img : c.get("images")) {
                var rgb = ImageDecoder.decode(dir.resolve(img.get("file").asText()));
                ProcessedImage px = model.images().process(rgb);
                NpyArray pxRef = Npy.read(dir.resolve(img.get("pixel_values").asText()));
                assertArrayEquals(pxRef.shape(), px.shape(), "pixel_values shape");
                assertTrue(maxDiff(pxRef.toFloats(), px.pixels(), 0) <= 1e-5, "pixels");
                EncodedImage e = model.images().encode(px);
                assertEquals(img.get("meta_value").get("rows").asInt(), e.tileRows());
                assertEquals(img.get("meta_value").get("cols").asInt(), e.tileCols());
                assertEquals(img.get("num_placeholders").asInt(), e.tokens(), "embeddings = placeholders");
                assertEquals(width, e.width());
                System.arraycopy(e.embeddings(), 0, got, at, e.embeddings().length);
                at += e.embeddings().length;
            }
            assertEquals(ref.length, at, "image_embeds size");
            // HF's processor text (case.json prompt_text) holds each image's layout text, and nothing else has <image>.
            String prompt = c.get("prompt_text").asText();
            for (JsonNode img : c.get("images")) {
                String layout = SmolVLMPromptLayout.text(img.get("meta_value").get("rows").asInt(),
                        img.get("meta_value").get("cols").asInt(), perTile);
                int where = prompt.indexOf(layout);
                assertTrue(where >= 0, "prompt_text lacks the layout of " + img.get("file"));
                prompt = prompt.substring(0, where) + "|" + prompt.substring(where + layout.length());
            }
            assertFalse(prompt.contains("<image>") || prompt.contains("<fake_token_around_image>"), prompt);
            double diff = maxDiff(ref, got, 0), maxRef = maxDiff(ref, new float[ref.length], 0);
            System.out.printf("%s: image_embeds max |diff| %.3g (max |ref| %.3g), %d tokens per tile%n", name, diff, maxRef, perTile);
            assertTrue(diff <= 1e-5 * maxRef, name + ": image_embeds max |diff| " + diff);
        }
    }

    static double maxDiff(float[] a, float[] b, int offset) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[offset + i]));
        return m;
    }
}
