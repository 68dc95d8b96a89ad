package dev.casa.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.LoadOptions;
import dev.casa.Quantization;
import dev.casa.QuantizedModelWriter;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.safetensors.SafetensorsFile;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import dev.casa.QuantizationReport;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantized loading of real model directories: which tensors the policy quantizes (checked against the stored
 * file's own list, by shape and name), that the bytes are the quantizer's, exclusions, tensors that stay, the
 * quantized directory of {@code casa quantize} (same logits as quantizing in memory), and errors.
 */
class QuantizedLoadTest {
    @TempDir Path tmp;

    static Path models() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) return p.resolve("models");
        }
        throw new IllegalStateException("models/ not found above " + Path.of("").toAbsolutePath());
    }

    static final Path DEMO = models().resolve("demo/model");

    /**
     * What the policy should do with each stored tensor of the demo (tied embeddings), from the file alone:
     * 2-D weights of Linear layers → {@code linear}; the tied embedding → {@code head}; the rest as stored.
     */
    private static Map<String, WeightFormat> expectedFormats(Path dir, Quantization q) {
        Map<String, WeightFormat> expected = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            for (String name : f.names()) {
                Tensor t = f.get(name);
                boolean linear = t.rank() == 2 && name.endsWith(".weight") && !name.contains("embed");
                WeightFormat target = name.endsWith("embed_tokens.weight") ? q.headFormat() : linear ? q.linearFormat() : null;
                expected.put(name, target != null && t.dim(t.rank() - 1) % 32 == 0 ? target : t.format());
            }
        }
        return expected;
    }

    @Test
    void theDemoQuantizesItsLinearLayersAndTheTiedHeadAndKeepsTheRest() {
        for (Quantization q : List.of(Quantization.Q8_0, Quantization.Q4_0)) {
            Map<String, WeightFormat> expected = expectedFormats(DEMO, q);
            try (CasaModel m = CasaModel.load(DEMO, LoadOptions.defaults().withQuantize(q));
                 SafetensorsFile stored = SafetensorsFile.open(DEMO.resolve("model.safetensors"))) {
                assertEquals(q, m.quantization());
                assertEquals(WeightFormat.Q8_0, m.weights().get("language_model.model.embed_tokens.weight").format(),
                        "the tied embedding is the output head: Q8_0 for either type");
                assertSame(m.languageModel().weights().embedTokens(), m.languageModel().weights().lmHead());
                int quantized = 0;
                for (var e : expected.entrySet()) {
                    Tensor t = m.weights().get(e.getKey());
                    assertEquals(e.getValue(), t.format(), e.getKey());
                    if (t.format().quantized()) {
                        quantized++;
                        // The bytes are exactly the GGML-reference quantization of the stored tensor.
                        Tensor direct = Quantizer.quantize(stored.get(e.getKey()), t.format());
                        assertTrue(direct.data().mismatch(t.data()) < 0, e.getKey());
                    }
                }
                assertEquals(48, quantized, "12 CASA (3 layers x 4) + 22 language model (3 x 7, and the tied head) + 2 projector + 12 vision tower (2 x 6)");
                assertEquals(quantized, m.quantizationReport().quantized().size());
                assertTrue(m.quantizationReport().kept().isEmpty(), m.quantizationReport().kept().toString());
            }
        }
    }

    @Test
    void excludedTensorsStayAsStored() {
        try (CasaModel m = CasaModel.load(DEMO, LoadOptions.defaults().withQuantize("q8_0").withExclude("^vision_tower\\.", "down_proj"))) {
            for (String name : m.weights().names()) {
                Tensor t = m.weights().get(name);
                if (name.startsWith("vision_tower.") || name.contains("down_proj")) {
                    assertEquals(WeightFormat.F32, t.format(), name);
                }
            }
            assertEquals(WeightFormat.Q8_0, m.weights().get("multi_modal_projector.linear_2.weight").format());
            assertEquals(Map.of(QuantizationReport.Kept.EXCLUDED, 15L), m.quantizationReport().kept().values().stream()
                    .collect(java.util.stream.Collectors.groupingBy(k -> k, java.util.stream.Collectors.counting())));
        }
    }

    /** The fixture's rows (K) are 36 wide: not whole blocks of 32, so every matrix stays, and says why. */
    @Test
    void matricesWhoseRowsAreNotWholeBlocksStay() {
        Path dir = models().resolve("fixtures/text-f32-sharded");
        try (CasaModel m = CasaModel.load(dir, LoadOptions.defaults().withQuantize(Quantization.Q4_0))) {
            assertEquals(0, m.quantizationReport().quantized().size());
            assertFalse(m.quantizationReport().kept().isEmpty());
            m.quantizationReport().kept().forEach((name, why) -> {
                assertEquals(QuantizationReport.Kept.ROWS_NOT_WHOLE_BLOCKS, why, name);
                assertNotEquals(0, m.weights().get(name).dim(1) % 32, name);
            });
        }
    }

    @Test
    void aQuantizedDirectoryLoadsLikeAnyOtherWithTheLogitsOfInMemoryQuantization() throws IOException {
        RgbImage image = ImageDecoder.decode(models().resolve("demo/example.png"));
        int[] tokens = {1, 4, 5, 30, 40, 50, 60, 70};
        Path out = tmp.resolve("demo-q4");
        QuantizedModelWriter.Summary s = QuantizedModelWriter.write(DEMO, LoadOptions.defaults().withQuantize("q4_0"), out);
        assertEquals(48, s.quantized());
        for (String f : List.of("config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json")) {
            assertEquals(Files.readString(DEMO.resolve(f)), Files.readString(out.resolve(f)), f);
        }
        assertTrue(Files.size(out.resolve("model.safetensors")) < Files.size(DEMO.resolve("model.safetensors")) / 4);
        try (CasaModel memory = CasaModel.load(DEMO, LoadOptions.defaults().withQuantize(Quantization.Q4_0));
             CasaModel file = CasaModel.load(out)) {
            assertEquals(Quantization.NONE, file.quantization());
            for (String name : memory.weights().names()) {
                Tensor a = memory.weights().get(name), b = file.weights().get(name);
                assertEquals(a.format(), b.format(), name);
                assertArrayEquals(a.shape(), b.shape(), name);
                assertTrue(a.data().mismatch(b.data()) < 0, name);
            }
            // The same bytes (above) give the same logits; within 1e-5 rather than bit for bit, because the two
            // calls may run a kernel in different JIT tiers, whose reduceLanes sum lanes in different orders.
            float[] fromMemory = memory.forward(tokens, List.of(image), new int[] {2}, true, 0);
            float[] fromFile = file.forward(tokens, List.of(image), new int[] {2}, true, 0);
            assertEquals(fromMemory.length, fromFile.length);
            for (int i = 0; i < fromMemory.length; i++) {
                assertEquals(fromMemory[i], fromFile[i], 1e-5f * Math.max(1f, Math.abs(fromMemory[i])), "logit " + i);
            }
        }
        // Asking again keeps what is already quantized (no second rounding).
        try (CasaModel again = CasaModel.load(out, LoadOptions.defaults().withQuantize(Quantization.Q8_0))) {
            assertEquals(0, again.quantizationReport().quantized().size());
            assertEquals(48, again.quantizationReport().kept().size());
            assertTrue(again.quantizationReport().kept().values().stream().allMatch(k -> k == QuantizationReport.Kept.ALREADY_QUANTIZED));
        }
        // The output must be new (or empty) and outside the model.
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> QuantizedModelWriter.write(DEMO, LoadOptions.defaults().withQuantize("q8_0"), out));
        assertThrows(IllegalArgumentException.class,
                () -> QuantizedModelWriter.write(DEMO, LoadOptions.defaults().withQuantize("q8_0"), DEMO.resolve("sub")));
        assertThrows(IllegalArgumentException.class, () -> QuantizedModelWriter.write(DEMO, LoadOptions.defaults(), tmp.resolve("x")));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(out), left.toList(), "no staging directory left behind");
        }
    }

    @Test
    void aWeightThatCannotBeQuantizedIsAnErrorNamingIt() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("nan"));
        try (var files = Files.list(DEMO)) {
            for (Path f : files.toList()) if (!f.getFileName().toString().endsWith(".safetensors")) Files.copy(f, dir.resolve(f.getFileName()));
        }
        String bad = "language_model.model.layers.1.mlp.up_proj.weight";
        try (SafetensorsFile f = SafetensorsFile.open(DEMO.resolve("model.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String name : f.names()) {
                Tensor t = f.get(name);
                if (!name.equals(bad)) {
                    w.add(t);
                    continue;
                }
                float[] v = t.toFloatArray();
                v[5 * 128 + 3] = Float.POSITIVE_INFINITY;
                w.addFloats(name, t.dtype(), t.shape(), v);
            }
            w.write(dir.resolve("model.safetensors"));
        }
        try (CasaModel plain = CasaModel.load(dir)) {
            assertNotNull(plain.languageModel());   // as stored it loads: only quantizing needs finite weights
        }
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> CasaModel.load(dir, LoadOptions.defaults().withQuantize(Quantization.Q8_0)));
        assertEquals("cannot quantize to Q8_0: tensor '" + bad + "' has Infinity at row 5, column 3; only finite weights can be quantized",
                e.getMessage());
    }

    @Test
    void optionsAreCheckedWithClearMessages() {
        assertEquals(Quantization.Q4_0, Quantization.parse(" Q4_0 "));
        assertEquals(Quantization.NONE, Quantization.parse(null));
        assertEquals("quantize must be one of none, q8_0, q4_0; got 'q5_k'",
                assertThrows(IllegalArgumentException.class, () -> Quantization.parse("q5_k")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadOptions.defaults().withExclude("layers.(")).getMessage()
                .startsWith("exclude pattern 'layers.(' is not a regular expression: "));
        LoadOptions o = LoadOptions.defaults().withExclude("visual\\.", "lm_head");
        assertTrue(o.excludes("model.visual.blocks.0.attn.qkv.weight"));
        assertTrue(o.excludes("lm_head.weight"));
        assertFalse(o.excludes("model.layers.0.mlp.up_proj.weight"));
    }
}
