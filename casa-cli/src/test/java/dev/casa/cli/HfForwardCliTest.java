package dev.casa.cli;

import static dev.casa.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.cli.CliRun.Result;
import dev.casa.core.io.Npy;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.TensorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code casa forward} and {@code casa preprocess} on a Hugging Face Qwen2.5-VL folder (hf-models.md): HF's
 * logits and pixels; bad requests and broken folders are one line and exit 2 with no output file.
 */
class HfForwardCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CASE = FixturePaths.root().resolve("hf/qwen25vl_one_image");
    private static final Path MODEL = CASE.resolve("model");

    @TempDir
    Path tmp;

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    @Test
    void forwardWritesHfLogitsAndPixels() throws IOException {
        Path out = tmp.resolve("logits.npy"), pixels = tmp.resolve("pixels.npy");
        for (String mode : new String[] {"prefill", "decode"}) {
            Result r = run("forward", "--model", MODEL.toString(), "--request", CASE.resolve("request.json").toString(),
                    "--out", out.toString(), "--mode", mode, "--pixels-out", pixels.toString());
            assertEquals(0, r.status(), r.err());
            double d = maxDiff(Npy.read(CASE.resolve(mode + "_logits.npy")).toFloats(), Npy.read(out).toFloats());
            assertTrue(d <= 2e-3, mode + ": max |diff| " + d);
            assertArrayEquals(Npy.read(CASE.resolve("pixel_values_0.npy")).toFloats(), Npy.read(pixels).toFloats());
            assertArrayEquals(Npy.read(CASE.resolve("pixel_values_0.npy")).shape(), Npy.read(pixels).shape());
        }
    }

    @Test
    void preprocessWritesHfPixelsAndTheGrid() throws IOException {
        JsonNode request = JSON.readTree(CASE.resolve("request.json").toFile());
        Path image = CASE.resolve(request.get("images").get(0).asText());
        Path pixels = tmp.resolve("p.npy"), meta = tmp.resolve("m.json");
        Result r = run("preprocess", "--config", MODEL.resolve("preprocessor_config.json").toString(), "--image", image.toString(),
                "--out", pixels.toString(), "--meta-out", meta.toString());
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(Npy.read(CASE.resolve("pixel_values_0.npy")).toFloats(), Npy.read(pixels).toFloats());
        assertEquals(JSON.readTree(CASE.resolve("meta_0.json").toFile()), JSON.readTree(meta.toFile()));
    }

    @Test
    void infoNamesTheFamily() {
        Result r = run("info", "--model", MODEL.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("family:     qwen2_5_vl"), r.out());
        assertTrue(r.out().contains("vision tower"), r.out());
    }

    private void assertBadRequest(String requestJson, String expected) throws IOException {
        Path req = tmp.resolve("bad.json");
        Files.writeString(req, requestJson);
        Files.copy(CASE.resolve(JSON.readTree(CASE.resolve("request.json").toFile()).get("images").get(0).asText()),
                tmp.resolve("img.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path out = tmp.resolve("o.npy");
        Result r = run("forward", "--model", MODEL.toString(), "--request", req.toString(), "--out", out.toString(), "--mode", "decode");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(Files.exists(out), "no output on bad input");
    }

    @Test
    void badRequestsAreOneLineErrors() throws IOException {
        ObjectNode good = (ObjectNode) JSON.readTree(CASE.resolve("request.json").toFile());
        int pad = JSON.readTree(MODEL.resolve("config.json").toFile()).get("image_token_id").asInt();
        ArrayNode ids = (ArrayNode) good.get("input_ids");
        int first = -1;
        for (int j = 0; j < ids.size(); j++) if (ids.get(j).asInt() == pad && first < 0) first = j;

        ObjectNode missingPad = good.deepCopy();
        ((ArrayNode) missingPad.get("input_ids")).remove(first);
        missingPad.put("images", JSON.createArrayNode().add("img.png"));
        missingPad.remove("prefill_tokens");
        assertBadRequest(missingPad.toString(), "image features and image tokens do not match");

        ObjectNode cut = good.deepCopy();
        cut.put("images", JSON.createArrayNode().add("img.png"));
        cut.put("prefill_tokens", first + 1);
        assertBadRequest(cut.toString(), "cuts the image placeholders");

        assertBadRequest("{\"tokens\": [1, 2, 3], \"images\": [{\"path\": \"img.png\", \"insert_at\": 1}]}",
                "give \"input_ids\"");
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        try (var files = Files.list(MODEL)) {
            for (Path f : files.toList()) if (!f.getFileName().toString().endsWith(".safetensors")) Files.copy(f, dir.resolve(f.getFileName()));
        }
        String dropped = "visual.blocks.1.attn.qkv.weight";
        SafetensorsWriter w = new SafetensorsWriter();
        try (TensorStore store = ModelWeights.open(MODEL)) {
            for (String name : store.names()) if (!name.equals(dropped)) w.add(store.get(name));
            w.write(dir.resolve("model.safetensors"));
        }
        Result r = run("info", "--model", dir.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("tensor '" + dropped + "' missing"), r.err());
    }
}
