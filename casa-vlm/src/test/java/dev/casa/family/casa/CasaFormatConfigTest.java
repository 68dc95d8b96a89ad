package dev.casa.family.casa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.RopeStyle;
import dev.casa.core.nn.Activation;
import dev.casa.text.casa.ImageRope;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.TextConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;



/** Our format's config.json (model-format.md §2) as the casa family reads it: values, defaults, errors naming file and key. */
class CasaFormatConfigTest {

    private static final String SPEC_EXAMPLE = """
        {
          "model_type": "casa",
          "fusion": "casa",
          "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
            "num_attention_heads": 12, "num_channels": 3, "image_size": 224, "patch_size": 16,
            "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6},
          "vision_feature_layer": -2,
          "projector_hidden_act": "gelu",
          "text_config": {
            "vocab_size": 48000, "hidden_size": 2560, "intermediate_size": 7040,
            "num_hidden_layers": 24, "num_attention_heads": 20, "num_key_value_heads": 20,
            "head_dim": 128, "hidden_act": "silu", "rms_norm_eps": 1e-8, "rope_theta": 100000.0,
            "rope_style": "interleaved",
            "max_position_embeddings": 4096, "tie_word_embeddings": false,
            "attention_bias": false, "mlp_bias": false,
            "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3, "some_unknown_key": [1, 2]
          },
          "casa_config": {"layers": "all", "share_projections": false, "image_rope": "window_start"},
          "image_token_id": 5,
          "pre_image_tokens": [7, 8],
          "post_image_tokens": []
        }
        """;

    /** A minimal valid config with {@code text} spliced into text_config and {@code extra} at top level. */
    private static String minimal(String text, String extra) {
        return """
            {"model_type": "casa", "fusion": "casa", %s
             "text_config": {"vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                             "num_hidden_layers": 4, "num_attention_heads": 8 %s},
             "casa_config": {}}
            """.formatted(extra, text);
    }

    private static CasaFamily.Configs parse(String json, String source) {
        return CasaFamily.configs(JsonConfig.parse(json, source));
    }

    private static ModelFormatException error(String json) {
        return assertThrows(ModelFormatException.class, () -> parse(json, "dir/config.json"));
    }

    @Test
    void parsesTheSpecExample() {
        CasaFamily.Configs c = parse(SPEC_EXAMPLE, "config.json");
        assertTrue(c.casaFusion());
        TextConfig t = c.text();
        assertEquals(48000, t.vocabSize());
        assertEquals(2560, t.hiddenSize());
        assertEquals(7040, t.intermediateSize());
        assertEquals(24, t.numHiddenLayers());
        assertEquals(20, t.numKeyValueHeads());
        assertEquals(128, t.headDim());
        assertEquals(Activation.SILU, t.activation());
        assertEquals(1e-8, t.rmsNormEps());
        assertEquals(100000.0, t.ropeTheta());
        assertEquals(RopeStyle.INTERLEAVED, t.rope());
        assertEquals(4096, t.maxPositionEmbeddings());
        assertEquals(List.of(2), t.eosTokenIds());
        assertEquals(1, t.bosTokenId());
        assertEquals(3, t.padTokenId());
        assertEquals(24, c.casaLayers().length);
        assertEquals(23, c.casaLayers()[23]);
        assertFalse(c.casa().shareProjections());
        assertEquals(ImageRope.WINDOW_START, c.imageRope());
        assertEquals(5, c.format().imageTokenId());
        assertArrayEquals(new int[] {7, 8}, c.format().preImageTokens());
        assertArrayEquals(new int[0], c.format().postImageTokens());
    }

    @Test
    void appliesSpecDefaults() {
        CasaFamily.Configs c = parse(minimal("", ""), "config.json");
        TextConfig t = c.text();
        assertEquals(8, t.headDim());                       // hidden_size / num_attention_heads
        assertEquals(8, t.numKeyValueHeads());
        assertEquals(RopeStyle.INTERLEAVED, t.rope());      // model_type absent: Helium
        assertEquals(Activation.SILU, t.activation());
        assertEquals(4, c.casaLayers().length);
        assertFalse(c.casa().shareProjections());
        assertEquals(ImageRope.WINDOW_START, c.imageRope());
        assertNull(c.format().imageTokenId());
        assertEquals(List.of(), t.eosTokenIds());
    }

    @Test
    void ropeStyleDefaultsByModelTypeAndAnExplicitValueWins() {
        assertEquals(RopeStyle.INTERLEAVED, parse(minimal(", \"model_type\": \"helium\"", ""), "c").text().rope());
        assertEquals(RopeStyle.HALF, parse(minimal(", \"model_type\": \"llama\"", ""), "c").text().rope());
        assertEquals(RopeStyle.HALF, parse(minimal(", \"model_type\": \"helium\", \"rope_style\": \"half\"", ""), "c").text().rope());
        assertEquals(RopeStyle.INTERLEAVED, parse(minimal(", \"model_type\": \"qwen2\", \"rope_style\": \"interleaved\"", ""), "c").text().rope());
        assertTrue(parse(minimal(", \"model_type\": \"qwen2\"", ""), "c").text().attentionBias());
    }

    @Test
    void casaLayersListAndInsertionIgnoresCasaConfig() {
        String json = minimal("", "").replace("\"casa_config\": {}",
                "\"casa_config\": {\"layers\": [3, 1], \"share_projections\": true, \"image_rope\": \"none\"}");
        CasaFamily.Configs o = parse(json, "c");
        assertArrayEquals(new int[] {1, 3}, o.casaLayers());
        assertTrue(o.casa().shareProjections());
        assertEquals(ImageRope.NONE, o.imageRope());
        String insertion = minimal("", "").replace("\"fusion\": \"casa\"", "\"fusion\": \"insertion\"")
                .replace("\"casa_config\": {}", "\"casa_config\": {\"layers\": 7}");
        CasaFamily.Configs c = parse(insertion, "c");
        assertFalse(c.casaFusion());
        assertNull(c.casa());
    }

    @Test
    void missingRequiredKeysNameTheFileAndTheKey() {
        assertEquals("dir/config.json: text_config.hidden_size: missing required key",
                error(minimal("", "").replace("\"hidden_size\": 64,", "")).getMessage());
        assertEquals("dir/config.json: text_config: missing required key",
                error("{\"model_type\": \"casa\", \"fusion\": \"casa\"}").getMessage());
        assertEquals("dir/config.json: fusion: missing required key",
                error("{\"model_type\": \"casa\"}").getMessage());
        assertEquals("dir/config.json: casa_config: missing required key",
                error(minimal("", "").replace("\"casa_config\": {}", "\"other\": {}")).getMessage());
    }

    @Test
    void badValuesAreErrorsNamingTheKeyAndTheValue() {
        assertTrue(error(minimal(", \"rope_style\": \"spiral\"", "")).getMessage()
                .startsWith("dir/config.json: text_config.rope_style: unknown rope_style 'spiral'"));
        assertTrue(error(minimal(", \"hidden_act\": \"mish\"", "")).getMessage()
                .startsWith("dir/config.json: text_config.hidden_act: unsupported activation 'mish'"));
        assertEquals("dir/config.json: text_config.num_attention_heads: expected an integer, found \"8\"",
                error(minimal("", "").replace("\"num_attention_heads\": 8", "\"num_attention_heads\": \"8\"")).getMessage());
        assertEquals("dir/config.json: text_config.vocab_size: expected a positive integer, found 0",
                error(minimal("", "").replace("\"vocab_size\": 100", "\"vocab_size\": 0")).getMessage());
        assertTrue(error(minimal(", \"num_key_value_heads\": 3", "")).getMessage()
                .contains("text_config.num_key_value_heads: must be positive and divide num_attention_heads=8, found 3"));
        assertTrue(error(minimal("", "").replace("\"casa_config\": {}", "\"casa_config\": {\"layers\": [0, 4]}"))
                .getMessage().contains("casa_config.layers: layer index 4 out of range [0, 4)"));
        assertTrue(error(minimal("", "").replace("\"casa_config\": {}", "\"casa_config\": {\"layers\": \"some\"}"))
                .getMessage().contains("casa_config.layers: expected \"all\" or a list"));
        assertTrue(error(minimal("", "").replace("\"casa_config\": {}", "\"casa_config\": {\"image_rope\": \"always\"}"))
                .getMessage().contains("casa_config.image_rope: expected \"none\", \"window_start\" or \"mrope_grid\", found \"always\""));
        assertTrue(error(minimal("", "").replace("\"fusion\": \"casa\"", "\"fusion\": \"late\"")).getMessage()
                .contains("fusion: expected \"casa\" or \"insertion\", found \"late\""));
        assertTrue(error(minimal("", "\"image_token_id\": 100,")).getMessage()
                .contains("image_token_id: token id 100 out of range [0, vocab_size=100)"));
        assertTrue(error(minimal(", \"hidden_size\": 60", "").replace("\"hidden_size\": 64,", "")).getMessage()
                .contains("text_config.head_dim: missing, and hidden_size=60 is not a multiple of num_attention_heads=8"));
        assertTrue(error(minimal(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}", "")).getMessage()
                .contains("text_config.rope_scaling.type: rope scaling 'linear' is not supported"));
        parse(minimal(", \"rope_scaling\": null, \"use_sliding_window\": false", ""), "c");
        assertTrue(error("{\"model_type\": \"llava\"}").getMessage().contains("model_type: expected \"casa\""));
        assertTrue(error("{not json").getMessage().startsWith("dir/config.json: not valid JSON"));
    }

    @Test
    void loadsFromADirectoryAndNamesAMissingFile(@TempDir Path dir) throws Exception {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> JsonConfig.read(dir.resolve("config.json")));
        assertTrue(e.getMessage().contains("config.json: file not found"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), minimal("", ""));
        assertEquals(64, CasaFamily.configs(JsonConfig.read(dir.resolve("config.json"))).text().hiddenSize());
    }

    @Test
    void generationConfigEosIsAnIntOrAList(@TempDir Path dir) throws Exception {
        assertEquals(List.of(), GenerationConfig.empty().eosTokenIds());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 2, \"bos_token_id\": 1, \"temperature\": 0.7}");
        GenerationConfig g = JsonConfig.read(dir.resolve("generation_config.json")).bind(GenerationConfig.class);
        assertEquals(List.of(2), g.eosTokenIds());
        assertEquals(1, g.bosTokenId());
        assertEquals(0.7, g.temperature());
        assertEquals(List.of(2, 7), JsonConfig.parse("{\"eos_token_id\": [2, 7]}", "g").bind(GenerationConfig.class).eosTokenIds());
        String msg = assertThrows(ModelFormatException.class,
                () -> JsonConfig.parse("{\"eos_token_id\": \"x\"}", "gen.json").bind(GenerationConfig.class)).getMessage();
        assertTrue(msg.contains("gen.json: eos_token_id"), msg);
        assertEquals(List.of(2, 9), parse(minimal(", \"eos_token_id\": [2, 9]", ""), "c").text().eosTokenIds());
    }
}
