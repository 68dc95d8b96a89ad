package dev.casa.casaqwen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.CasaModel;
import dev.casa.ForwardRequest;
import dev.casa.Parity;
import dev.casa.Session;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.io.Npy;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.DecoderState;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CASA over Qwen2.5-VL's vision tower and a Qwen2 M-RoPE decoder (casa-qwen.md): the float64 reference cases,
 * the reduction checks, the CASA-Helium shape composed from parts, streaming memory and load errors.
 */
class CasaQwenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOLERANCE = 2e-3;

    @TempDir
    Path tmp;

    static Path fixtures() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/fixtures/casa-qwen"))) return p.resolve("models/fixtures");
        }
        throw new IllegalStateException("models/fixtures not found");
    }

    static final Path CASES = fixtures().resolve("casa-qwen");
    static final Path TWO_WINDOWS = CASES.resolve("casa_qwen_two_windows");

    private static float[] logits(CasaModel model, Path requestFile, boolean prefill) throws IOException {
        ForwardRequest req = ForwardRequest.parse(requestFile);
        List<RgbImage> images = new ArrayList<>();
        for (Path p : req.images()) images.add(ImageDecoder.decode(p));
        return Parity.logits(model, req, req.tokens(), images, prefill);
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "logits size");
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs((double) a[i] - b[i]));
        return max;
    }

    @ParameterizedTest
    @ValueSource(strings = {"casa_qwen_two_windows", "casa_qwen_shared_window_layer1"})
    void referenceLogitsInPrefillAndDecode(String name) throws IOException {
        Path c = CASES.resolve(name);
        try (CasaModel model = CasaModel.load(c.resolve("model"))) {
            for (String mode : new String[] {"prefill", "decode"}) {
                float[] expected = Npy.read(c.resolve(mode + "_logits.npy")).toFloats();
                double d = maxDiff(expected, logits(model, c.resolve("request.json"), mode.equals("prefill")));
                assertTrue(d <= TOLERANCE, name + " " + mode + ": max |diff| " + d);
            }
        }
    }

    /** A copy of a model directory with its config edited and its tensors rewritten by {@code tensors}. */
    private Path variant(Path model, String name, UnaryOperator<ObjectNode> config,
                         Predicate<String> keep, UnaryOperator<Tensor> tensors) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!n.equals("config.json") && !n.endsWith(".safetensors")) Files.copy(f, dir.resolve(n));
            }
        }
        ObjectNode c = (ObjectNode) JSON.readTree(model.resolve("config.json").toFile());
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(config.apply(c)));
        SafetensorsWriter w = new SafetensorsWriter();
        try (TensorStore store = ModelWeights.open(model)) {
            for (String t : store.names()) {
                if (!keep.test(t)) continue;
                Tensor out = tensors.apply(store.get(t));
                w.addFloats(out.name(), out.dtype(), out.shape(), out.toFloatArray());
            }
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    /** casa-qwen.md §4.3: with image_rope window_start the layer is model-format's CASA layer (float64 reference). */
    @Test
    void windowStartEqualsModelFormatCasaOnTheSameWeights() throws IOException {
        Path dir = variant(TWO_WINDOWS.resolve("model"), "window_start", c -> {
            ((ObjectNode) c.get("casa_config")).put("image_rope", "window_start");
            return c;
        }, t -> true, t -> t);
        float[] expected = Npy.read(fixtures().resolve("casa-qwen-derived/window_start/logits.npy")).toFloats();
        try (CasaModel model = CasaModel.load(dir)) {
            double d = maxDiff(expected, logits(model, TWO_WINDOWS.resolve("request.json"), true));
            assertTrue(d <= TOLERANCE, "max |diff| " + d);
            float[] mrope = Npy.read(TWO_WINDOWS.resolve("prefill_logits.npy")).toFloats();
            assertTrue(maxDiff(mrope, expected) > 0.05, "the two image ropes must differ on this case");
        }
    }

    /** casa-qwen.md §7: with every CASA weight zero the model is the text-only Qwen2 decoder (as HF runs it). */
    @Test
    void zeroCasaWeightsGiveTheTextOnlyQwenDecoder() throws IOException {
        Path dir = variant(TWO_WINDOWS.resolve("model"), "zero_casa", c -> c, t -> true,
                t -> t.name().contains(".casa_attn.") ? Tensor.ofFloats(t.name(), new float[Math.toIntExact(t.size())], t.shape()) : t);
        ForwardRequest req = ForwardRequest.parse(TWO_WINDOWS.resolve("request.json"));
        Path textOnly = tmp.resolve("text_only.json");
        Files.writeString(textOnly, "{\"input_ids\": " + Arrays.toString(req.tokens()) + ", \"images\": []}");
        try (CasaModel casa = CasaModel.load(dir);
             CasaModel qwen = CasaModel.load(fixtures().resolve("hf/qwen25vl_two_images/model"))) {
            float[] withImages = logits(casa, TWO_WINDOWS.resolve("request.json"), true);
            float[] plain = logits(qwen, textOnly, true);
            double d = maxDiff(plain, withImages);
            assertTrue(d <= 1e-5, "max |diff| " + d);
        }
    }

    /**
     * The insertion baseline on the same weights is plain Qwen2.5-VL: image embeddings where HF puts the
     * image's placeholder rows, at get_rope_index positions, give HF's logits on every text row.
     */
    @Test
    void insertionBaselineIsPlainQwen25VL() throws IOException {
        Path dir = variant(TWO_WINDOWS.resolve("model"), "insertion", c -> {
            c.put("fusion", "insertion");
            c.remove("casa_config");
            return c;
        }, t -> !t.contains(".casa_"), t -> t);
        Path hf = fixtures().resolve("hf/qwen25vl_two_images");
        JsonNode hfRequest = JSON.readTree(hf.resolve("request.json").toFile());
        int pad = JSON.readTree(hf.resolve("model/config.json").toFile()).get("image_token_id").asInt();
        List<Integer> tokens = new ArrayList<>(), textRows = new ArrayList<>(), points = new ArrayList<>();
        int[] ids = new int[hfRequest.get("input_ids").size()];
        for (int j = 0; j < ids.length; j++) ids[j] = hfRequest.get("input_ids").get(j).asInt();
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] == pad) {
                if (j == 0 || ids[j - 1] != pad) points.add(tokens.size());
                continue;
            }
            tokens.add(ids[j]);
            textRows.add(j);
        }
        StringBuilder images = new StringBuilder();
        for (int i = 0; i < points.size(); i++) {
            if (i > 0) images.append(", ");
            images.append("{\"path\": \"").append(hf.resolve(hfRequest.get("images").get(i).asText()).toAbsolutePath())
                    .append("\", \"insert_at\": ").append(points.get(i)).append('}');
        }
        Path request = tmp.resolve("insertion.json");
        Files.writeString(request, "{\"tokens\": " + tokens + ", \"images\": [" + images + "]}");
        float[] hfLogits = Npy.read(hf.resolve("prefill_logits.npy")).toFloats();
        try (CasaModel model = CasaModel.load(dir)) {
            int vocab = model.textConfig().vocabSize();
            float[] expected = new float[textRows.size() * vocab];
            for (int r = 0; r < textRows.size(); r++) System.arraycopy(hfLogits, textRows.get(r) * vocab, expected, r * vocab, vocab);
            for (boolean prefill : new boolean[] {true, false}) {
                double d = maxDiff(expected, logits(model, request, prefill));
                assertTrue(d <= TOLERANCE, (prefill ? "prefill" : "decode") + ": max |diff| " + d);
            }
        }
    }

    /** The CASA-Helium1-VL shape: Qwen tower + Helium decoder (1-D interleaved RoPE, window_start), composed from parts. */
    @Test
    void qwenTowerWithAHeliumDecoderRunsFromTheSameCode() throws IOException {
        Path c = fixtures().resolve("casa-qwen-derived/casa_helium");
        float[] expected = Npy.read(c.resolve("logits.npy")).toFloats();
        try (CasaModel model = CasaModel.load(c.resolve("model"))) {
            assertEquals("helium", model.textConfig().modelType());
            for (boolean prefill : new boolean[] {true, false}) {
                double d = maxDiff(expected, logits(model, c.resolve("request.json"), prefill));
                assertTrue(d <= TOLERANCE, (prefill ? "prefill" : "decode") + ": max |diff| " + d);
            }
        }
    }

    /** A session over many frames: one window of image keys at a time, the KV cache holds text only. */
    @Test
    void aStreamOfFramesKeepsTheWindowConstant() throws IOException {
        RgbImage a = ImageDecoder.decode(TWO_WINDOWS.resolve("shapes_333x200.png"));
        RgbImage b = ImageDecoder.decode(TWO_WINDOWS.resolve("tall_64x300.png"));
        try (CasaModel model = CasaModel.load(TWO_WINDOWS.resolve("model"))) {
            int[] tokens = {model.tokenizer().tokenId("<|vision_start|>").getAsInt()};
            assertEquals(259, tokens[0]);
            Session s = model.newSession(2048);
            DecoderState state = s.state();
            long window = -1;
            for (int f = 0; f < 40; f++) {
                s.addImage(a);
                s.ask("f", GenerationOptions.greedy(1), TokenListener.NONE);
                assertEquals(1, state.imagesInCurrentWindow());
                assertEquals(28, state.windowImageKeys());      // shapes_333x200: merged grid 4x7
                assertEquals(0, state.imageTokensInCache());
                if (f == 1) window = state.casaWindow().floats();
                if (f > 1) assertEquals(window, state.casaWindow().floats(), "frame " + f);
            }
            assertEquals(state.textTokens(), state.selfAttentionKvEntries());
            s.addImage(b);
            s.ask("g", GenerationOptions.greedy(1), TokenListener.NONE);
            assertEquals(22, state.windowImageKeys());          // tall_64x300: merged grid 11x2
        }
    }

    @Test
    void badConfigsAreLoadErrors() throws IOException {
        Path model = TWO_WINDOWS.resolve("model");
        Path sections = variant(model, "bad_sections", c -> {
            ((ObjectNode) c.get("text_config").get("rope_scaling")).putArray("mrope_section").add(2).add(3).add(2);
            return c;
        }, t -> true, t -> t);
        String m = assertThrows(ModelFormatException.class, () -> CasaModel.load(sections)).getMessage();
        assertTrue(m.contains("text_config.rope_scaling.mrope_section: sums to 7, must be head_dim/2 = 8"), m);

        Path noMrope = variant(model, "grid_without_mrope", c -> {
            ((ObjectNode) c.get("text_config")).remove("rope_scaling");
            return c;
        }, t -> true, t -> t);
        m = assertThrows(ModelFormatException.class, () -> CasaModel.load(noMrope)).getMessage();
        assertTrue(m.contains("casa_config.image_rope: mrope_grid needs M-RoPE"), m);

        Path width = variant(model, "merger_width", c -> {
            ((ObjectNode) c.get("vision_config")).put("out_hidden_size", 32);
            return c;
        }, t -> true, t -> t);
        m = assertThrows(ModelFormatException.class, () -> CasaModel.load(width)).getMessage();
        assertTrue(m.contains("vision_config.out_hidden_size: the merger outputs 32 features but text_config.hidden_size is 64"), m);

        Path interleaved = variant(model, "interleaved", c -> {
            ((ObjectNode) c.get("text_config")).put("rope_style", "interleaved");
            return c;
        }, t -> true, t -> t);
        m = assertThrows(ModelFormatException.class, () -> CasaModel.load(interleaved)).getMessage();
        assertTrue(m.contains("text_config.rope_style"), m);
    }

    @Test
    void promptsPutTheInsertionPointBetweenTheVisionDelimiters() throws IOException {
        try (CasaModel model = CasaModel.load(TWO_WINDOWS.resolve("model"))) {
            var e = model.embedImage(ImageDecoder.decode(TWO_WINDOWS.resolve("shapes_333x200.png")));
            var prompt = model.prompt(List.of(e), "hi");
            int[] t = prompt.tokens();
            int p = prompt.imageInsertPoints()[0];
            assertEquals(259, t[p - 1], "<|vision_start|> before the point: " + Arrays.toString(t));
            assertEquals(260, t[p], "<|vision_end|> right at the point (the window's first text token)");
            assertArrayEquals(new int[] {28, 4, 7}, new int[] {e.tokens(), e.gridRows(), e.gridCols()});
        }
    }
}
