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
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code casa forward} on the HF SmolVLM fixture (models/fixtures/hf/smolvlm_split): HF's logits on success,
 * and one line on stderr, exit 2 and no output file for a corrupt image, a placeholder count that does not
 * match the tiles, and an image split into more tiles than the tokenizer has {@code <row_r_col_c>} markers for.
 */
class SmolVLMForwardCliTest {
    private static final Path CASE = FixturePaths.root().resolve("hf/smolvlm_split");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void logitsAndPixelsAsHf() throws IOException {
        Path out = tmp.resolve("logits.npy"), pixels = tmp.resolve("pixels.npy");
        Result r = run("forward", "--model", CASE.resolve("model").toString(), "--request", CASE.resolve("request.json").toString(),
                "--out", out.toString(), "--mode", "decode", "--pixels-out", pixels.toString());
        assertEquals(0, r.status(), r.err());
        float[] ref = Npy.read(CASE.resolve("decode_logits.npy")).toFloats(), got = Npy.read(out).toFloats();
        double max = 0;
        for (int i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ref[i] - got[i]));
        assertTrue(max <= 2e-3, "max |diff| " + max);
        // both images' tiles, concatenated along the first axis: [3 + 5, 3, 64, 64]
        assertArrayEquals(new long[] {8, 3, 64, 64}, Npy.read(pixels).shape());
    }

    private void assertBadInput(Path model, ObjectNode request, String... fragments) throws IOException {
        Path req = tmp.resolve("bad.json");
        Files.writeString(req, request.toString());
        Path out = tmp.resolve("never.npy");
        Result r = run("forward", "--model", model.toString(), "--request", req.toString(), "--out", out.toString());
        assertEquals(2, r.status(), r.err());
        assertFalse(Files.exists(out), "no output file on error");
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), "message names the problem: " + r.err());
    }

    private ObjectNode request() throws IOException {
        ObjectNode req = (ObjectNode) JSON.readTree(CASE.resolve("request.json").toFile());
        ArrayNode images = req.putArray("images");
        for (String name : new String[] {"tall_64x300.png", "grad_100x75.png"}) {
            Files.copy(CASE.resolve(name), tmp.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            images.add(name);
        }
        return req;
    }

    @Test
    void corruptImage() throws IOException {
        Files.writeString(tmp.resolve("broken.png"), "\u0089PNG\r\n\u001a\n not really");
        ObjectNode req = request();
        ((ArrayNode) req.get("images")).set(1, JSON.getNodeFactory().textNode("broken.png"));
        assertBadInput(CASE.resolve("model"), req, "broken.png");
    }

    @Test
    void placeholderCountNotMatchingTheTiles() throws IOException {
        ObjectNode req = request();
        ArrayNode ids = (ArrayNode) req.get("input_ids");
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i).asInt() == 258) {
                ids.remove(i);
                break;
            }
        }
        req.put("prefill_tokens", req.get("prefill_tokens").asInt() - 1);
        assertBadInput(CASE.resolve("model"), req, "127 placeholder tokens", "128 image feature rows", "2 image(s)");
        // the first image alone where two were laid out
        ObjectNode one = request();
        ((ArrayNode) one.get("images")).remove(1);
        assertBadInput(CASE.resolve("model"), one, "128 placeholder tokens", "48 image feature rows");
    }

    /**
     * Without resizing, a 64×450 image becomes 8 × 2 tiles of 64 px (HF: 512 × int(512·64/450) = 72 → 128); the fixture's tokenizer (made here from
     * its vocab.json, with the model's special tokens) has markers up to {@code <row_6_col_6>}.
     */
    @Test
    void moreTilesThanTheTokenizerHasMarkersFor() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("model"));
        Path src = CASE.resolve("model");
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors"}) {
            Files.copy(src.resolve(f), model.resolve(f));
        }
        ObjectNode pre = (ObjectNode) JSON.readTree(src.resolve("preprocessor_config.json").toFile());
        pre.put("do_resize", false);
        Files.writeString(model.resolve("preprocessor_config.json"), pre.toString());
        Files.writeString(model.resolve("tokenizer.json"), byteLevelTokenizer(src).toString());
        BufferedImage tall = new BufferedImage(64, 450, BufferedImage.TYPE_INT_RGB);
        ImageIO.write(tall, "png", tmp.resolve("tall.png").toFile());
        ObjectNode req = JSON.createObjectNode();
        req.putArray("input_ids").add(85).add(258);
        req.putArray("images").add("tall.png");
        assertBadInput(model, req, "64x450", "8x2 tiles", "<row_r_col_c> tokens up to 6x6");
    }

    /** A byte-level BPE tokenizer.json over the fixture's vocab.json (no merges), its special tokens added. */
    private static ObjectNode byteLevelTokenizer(Path modelDir) throws IOException {
        JsonNode vocab = JSON.readTree(modelDir.resolve("vocab.json").toFile());
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        ArrayNode added = tok.putArray("added_tokens");
        ObjectNode model = JSON.createObjectNode();
        ObjectNode v = model.putObject("vocab");
        // HF tokenizers numbers added tokens in the order they are listed (the "id" is only checked): list them by id.
        java.util.TreeMap<Integer, String> special = new java.util.TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt() >= 256) special.put(e.getValue().asInt(), e.getKey());
            else v.put(e.getKey(), e.getValue().asInt());
        }
        special.forEach((id, content) -> added.addObject().put("id", id).put("content", content).put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true));
        model.put("type", "BPE");
        model.putArray("merges");
        tok.set("model", model);
        tok.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        tok.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        return tok;
    }
}
