package dev.casa.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.DType;
import dev.casa.core.nn.Activation;
import dev.casa.core.tensor.Tensor;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configs, bad or missing tensors and bad inputs fail with messages naming the problem. */
class VisionLoadErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String V = "vision_tower.vision_model.";
    private static final String GOOD = """
            {"vision_config": {"hidden_size": 36, "intermediate_size": 52, "num_hidden_layers": 2,
              "num_attention_heads": 3, "image_size": 32, "patch_size": 8},
             "projector_hidden_act": "gelu", "text_config": {"hidden_size": 20}}""";
    private static ThreadPool pool;

    @BeforeAll static void start() { pool = new ThreadPool(1); }
    @AfterAll static void stop() { pool.close(); }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static VisionModelConfig config(String s) { return VisionModelConfig.fromJson(json(s)); }

    private static String configError(String s) {
        return assertThrows(ModelFormatException.class, () -> config(s)).getMessage();
    }

    private static MapTensorStore goodWeights(boolean postLayerNorm) {
        return RandomSiglip.weights(config(GOOD).vision(), 20, DType.F32, postLayerNorm, 9);
    }

    /** Loads GOOD's weights after {@code edit}, expecting a failure whose message contains every fragment. */
    private static void assertLoadFails(Consumer<MapTensorStore> edit, String... fragments) {
        MapTensorStore store = goodWeights(true);
        edit.accept(store);
        String msg = assertThrows(ModelFormatException.class, () -> VisionEncoder.load(config(GOOD), store, pool)).getMessage();
        for (String f : fragments) assertTrue(msg.contains(f), "message '" + msg + "' lacks '" + f + "'");
    }

    @Test
    void defaultsFollowHfSiglipVisionConfig() {
        VisionModelConfig c = config("{\"vision_config\": {}}");
        SiglipVisionConfig v = c.vision();
        assertEquals(new SiglipVisionConfig("siglip_vision_model", 768, 3072, 12, 12, 3, 224, 16, "gelu_pytorch_tanh", 1e-6), v);
        assertEquals(SiglipVisionConfig.defaults(SiglipVisionConfig.Variant.SIGLIP), v);
        assertEquals(196, v.numPatches());
        assertEquals(Activation.GELU, c.projectorAct());
        assertTrue(c.usesPostLayerNorm());
        assertEquals(12, c.layersToRun());
        assertEquals(11, config("{\"vision_config\": {}, \"vision_feature_layer\": -2}").layersToRun());
        assertEquals(0, config("{\"vision_config\": {}, \"vision_feature_layer\": -13}").layersToRun());
        assertEquals(12, config("{\"vision_config\": {}, \"vision_feature_layer\": 12}").layersToRun());
    }

    @Test
    void badConfigsNameTheKey() {
        assertTrue(configError("{}").contains("vision_config"));
        assertTrue(configError("{\"vision_config\": 3}").contains("vision_config: expected an object"));
        assertTrue(configError("{\"vision_config\": {\"hidden_size\": \"768\"}}").contains("vision_config.hidden_size"));
        assertTrue(configError("{\"vision_config\": {\"patch_size\": 0}}").contains("vision_config.patch_size"));
        assertTrue(configError("{\"vision_config\": {\"num_hidden_layers\": 2.5}}").contains("vision_config.num_hidden_layers"));
        assertTrue(configError("{\"vision_config\": {\"layer_norm_eps\": -1}}").contains("vision_config.layer_norm_eps"));
        String heads = configError("{\"vision_config\": {\"hidden_size\": 100, \"num_attention_heads\": 12}}");
        assertTrue(heads.contains("vision_config.num_attention_heads") && heads.contains("hidden_size 100") && heads.contains("12"), heads);
        String patch = configError("{\"vision_config\": {\"image_size\": 15, \"patch_size\": 16}}");
        assertTrue(patch.contains("vision_config.image_size") && patch.contains("15") && patch.contains("patch_size 16"), patch);
        // As HF's stride-p conv: a remainder is ignored (so400m/14@384 has 27×27 patches).
        assertEquals(729, config("{\"vision_config\": {\"image_size\": 384, \"patch_size\": 14}}").vision().numPatches());
        assertTrue(configError("{\"vision_config\": {\"hidden_act\": \"tanh\"}}").contains("vision_config.hidden_act"));
        assertTrue(configError("{\"vision_config\": {}, \"projector_hidden_act\": \"mish\"}").contains("projector_hidden_act"));
        assertTrue(configError("{\"vision_config\": {}, \"vision_feature_layer\": 13}").contains("vision_feature_layer: 13 is out of range"));
        assertTrue(configError("{\"vision_config\": {}, \"vision_feature_layer\": -14}").contains("vision_feature_layer: -14 is out of range"));
        assertTrue(configError("{\"vision_config\": {}, \"vision_feature_layer\": [-2, -5]}").contains("vision_feature_layer"));
        assertTrue(configError("{\"vision_config\": {}, \"vision_feature_layer\": \"-2\"}").contains("vision_feature_layer"));
    }

    @Test
    void configFileErrorsNameTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"vision_config\": {\"patch_size\": \"x\"}}");
        String msg = assertThrows(ModelFormatException.class, () -> VisionModelConfig.read(file)).getMessage();
        assertTrue(msg.contains(file.toString()) && msg.contains("vision_config.patch_size"), msg);
        Files.writeString(file, "{not json");
        msg = assertThrows(ModelFormatException.class, () -> VisionModelConfig.read(file)).getMessage();
        assertTrue(msg.contains(file.toString()), msg);
    }

    @Test
    void missingTensor() {
        assertLoadFails(s -> s.tensors.remove(V + "encoder.layers.1.self_attn.k_proj.weight"),
                "missing", "encoder.layers.1.self_attn.k_proj.weight", "[36, 36]", "test-store");
        assertLoadFails(s -> s.tensors.remove("multi_modal_projector.linear_2.bias"),
                "multi_modal_projector.linear_2.bias", "[20]");
        assertLoadFails(s -> s.tensors.remove("multi_modal_projector.linear_1.weight"),
                "multi_modal_projector.linear_1.weight");
    }

    @Test
    void wrongShape() {
        SplittableRandom rnd = new SplittableRandom(1);
        assertLoadFails(s -> s.put(RandomSiglip.make(V + "encoder.layers.0.mlp.fc1.weight", DType.F32, rnd, 1, 0, 52, 37)),
                "encoder.layers.0.mlp.fc1.weight", "expected shape [52, 36]", "found [52, 37]");
        assertLoadFails(s -> s.put(RandomSiglip.make(V + "embeddings.patch_embedding.weight", DType.F32, rnd, 1, 0, 36, 3, 8, 7)),
                "patch_embedding.weight", "[36, 3, 8, 8]", "[36, 3, 8, 7]");
        assertLoadFails(s -> s.put(RandomSiglip.make(V + "embeddings.position_embedding.weight", DType.F32, rnd, 1, 0, 17, 36)),
                "position_embedding.weight", "[16, 36]", "[17, 36]");
        // The projector width must equal text_config.hidden_size.
        assertLoadFails(s -> s.put(RandomSiglip.make("multi_modal_projector.linear_1.weight", DType.F32, rnd, 1, 0, 24, 36)),
                "linear_1.weight", "[20, 36]", "[24, 36]");
        assertLoadFails(s -> s.put(RandomSiglip.make("multi_modal_projector.linear_2.weight", DType.F32, rnd, 1, 0, 20, 21)),
                "linear_2.weight", "[20, 20]", "[20, 21]");
    }

    @Test
    void wrongDtype() {
        String name = V + "encoder.layers.0.layer_norm1.weight";
        assertLoadFails(s -> s.put(new Tensor(name, DType.I32, new long[] {36}, MemorySegment.ofArray(new byte[36 * 4]))),
                name, "F32, F16 or BF16", "I32");
    }

    @Test
    void unexpectedTensorsLookingLikeTyposAreRejected() {
        SplittableRandom rnd = new SplittableRandom(2);
        assertLoadFails(s -> s.put(RandomSiglip.make(V + "encoder.layers.0.self_attn.q_prj.weight", DType.F32, rnd, 1, 0, 36, 36)),
                "unexpected tensor", "q_prj");
        assertLoadFails(s -> s.put(RandomSiglip.make(V + "encoder.layers.2.layer_norm1.weight", DType.F32, rnd, 1, 0, 36)),
                "unexpected tensor", "layers.2.");
        assertLoadFails(s -> s.put(RandomSiglip.make("multi_modal_projector.linear_3.weight", DType.F32, rnd, 1, 0, 20, 20)),
                "unexpected tensor", "linear_3");
    }

    @Test
    void poolingHeadAndPositionIdsAreIgnoredAndPostNormOnlyWhenUsed() {
        SplittableRandom rnd = new SplittableRandom(3);
        MapTensorStore store = goodWeights(true);
        store.put(RandomSiglip.make(V + "head.probe", DType.F32, rnd, 1, 0, 1, 1, 36));
        store.put(RandomSiglip.make(V + "head.attention.in_proj_weight", DType.F32, rnd, 1, 0, 108, 36));
        store.put(new Tensor(V + "embeddings.position_ids", DType.I64, new long[] {1, 16}, MemorySegment.ofArray(new byte[16 * 8])));
        assertEquals(16, VisionEncoder.load(config(GOOD), store, pool).tokensPerImage());

        // post_layernorm is required without vision_feature_layer ...
        MapTensorStore noPost = goodWeights(false);
        String msg = assertThrows(ModelFormatException.class, () -> VisionEncoder.load(config(GOOD), noPost, pool)).getMessage();
        assertTrue(msg.contains("post_layernorm.weight"), msg);
        // ... and not needed with one.
        String withLayer = GOOD.replace("\"projector_hidden_act\"", "\"vision_feature_layer\": -1, \"projector_hidden_act\"");
        assertEquals(16, VisionEncoder.load(config(withLayer), noPost, pool).tokensPerImage());
    }

    @Test
    void badPixelAndOutputSizes() {
        VisionEncoder e = VisionEncoder.load(config(GOOD), goodWeights(true), pool);
        int per = 3 * 32 * 32;
        String msg = assertThrows(IllegalArgumentException.class, () -> e.encode(new float[per - 1])).getMessage();
        assertTrue(msg.contains(String.valueOf(per - 1)) && msg.contains(String.valueOf(per)), msg);
        assertThrows(IllegalArgumentException.class, () -> e.encodeBatch(new float[per], 2));
        // A bigger image is not silently cropped either.
        assertThrows(IllegalArgumentException.class, () -> e.features(new float[per + 1]));
        assertThrows(IllegalArgumentException.class, () -> e.encodeBatch(new float[2 * per + 3], 2));
        assertThrows(IllegalArgumentException.class, () -> e.encodeBatch(new float[per], 0, 1, new float[16 * 20 - 1], 0));
        assertThrows(IllegalArgumentException.class, () -> e.features(java.util.List.of(new float[per], new float[3])));
        assertEquals(0, e.encodeBatch(new float[0], 0).length);
    }
}
