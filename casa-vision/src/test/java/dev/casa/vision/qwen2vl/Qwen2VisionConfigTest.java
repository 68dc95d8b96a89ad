package dev.casa.vision.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;

class Qwen2VisionConfigTest {

    static Qwen2VisionConfig bind(String visionJson) {
        return JsonConfig.parse("{\"vision_config\": " + visionJson + "}", "config.json")
                .bind("vision_config", Qwen2VisionConfig.class);
    }

    static String error(String visionJson) {
        return assertThrows(ModelFormatException.class, () -> bind(visionJson)).getMessage();
    }

    @Test
    void qwen25Defaults() {
        Qwen2VisionConfig c = bind("{\"model_type\": \"qwen2_5_vl\"}");
        assertEquals(Qwen2VisionConfig.Variant.QWEN2_5_VL, c.variant());
        assertEquals(32, c.depth());
        assertEquals(3584, c.embedDim());
        assertEquals(3584, c.hiddenSize());
        assertEquals(3420, c.intermediateSize());
        assertEquals(3584, c.outHiddenSize());
        assertEquals(16, c.numHeads());
        assertEquals(224, c.headDim());
        assertEquals("silu", c.hiddenAct());
        assertEquals(3, c.inChannels());
        assertEquals(14, c.patchSize());
        assertEquals(2, c.temporalPatchSize());
        assertEquals(2, c.spatialMergeSize());
        assertEquals(112, c.windowSize());
        assertEquals(4, c.windowUnits());
        assertEquals(List.of(7, 15, 23, 31), c.fullattBlockIndexes());
        assertEquals(4, c.tokensPerSecond());
        assertEquals(1176, c.patchVectorSize());
        assertTrue(c.fullAttention(7) && !c.fullAttention(8));
    }

    @Test
    void qwen25Real3B() {
        // Qwen2.5-VL-3B-Instruct's vision_config (original checkpoint keys, no model_type)
        String json = """
                {"depth": 32, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
                 "in_chans": 3, "out_hidden_size": 2048, "patch_size": 14, "spatial_merge_size": 2, "spatial_patch_size": 14,
                 "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2, "temporal_patch_size": 2}""";
        Qwen2VisionConfig c = bind(json);
        assertEquals(Qwen2VisionConfig.Variant.QWEN2_5_VL, c.variant());
        assertEquals(1280, c.embedDim());
        assertEquals(80, c.headDim());
        assertEquals(2048, c.outHiddenSize());
        assertEquals(5120, c.mergerWidth());
        // through the enclosing config: the family comes from the outer model_type
        Qwen2VisionConfig outer = Qwen2VisionConfig.read(JsonConfig.parse(
                "{\"model_type\": \"qwen2_5_vl\", \"vision_config\": " + json + "}", "config.json"));
        assertEquals(c, outer);
    }

    @Test
    void qwen2vlDefaultsAndNaming() {
        Qwen2VisionConfig c = bind("{\"model_type\": \"qwen2_vl\", \"hidden_size\": 1536}");
        assertEquals(Qwen2VisionConfig.Variant.QWEN2_VL, c.variant());
        assertEquals(1280, c.embedDim());
        assertEquals(5120, c.intermediateSize());
        assertEquals(1536, c.outHiddenSize());
        assertEquals(1536, c.hiddenSize());
        assertEquals("quick_gelu", c.hiddenAct());
        assertEquals(0, c.windowUnits());
        assertNull(c.windowSize());
        assertEquals(32, c.fullattBlockIndexes().size());
        assertTrue(c.fullAttention(0) && c.fullAttention(31));
        // keys of the other family are ignored, as by HF
        Qwen2VisionConfig odd = bind("{\"model_type\": \"qwen2_vl\", \"embed_dim\": 64, \"num_heads\": 4,"
                + " \"intermediate_size\": 7, \"out_hidden_size\": 9, \"mlp_ratio\": 1.5}");
        assertEquals(96, odd.intermediateSize());
        assertEquals(3584, odd.outHiddenSize());
        // the Qwen2-VL-2B config: no model_type inside vision_config, family from the enclosing config
        Qwen2VisionConfig real = Qwen2VisionConfig.read(JsonConfig.parse("""
                {"model_type": "qwen2_vl", "vision_config": {"depth": 32, "embed_dim": 1280, "mlp_ratio": 4,
                 "num_heads": 16, "in_chans": 3, "hidden_size": 1536, "patch_size": 14, "spatial_merge_size": 2,
                 "temporal_patch_size": 2}}""", "config.json"));
        assertEquals(Qwen2VisionConfig.Variant.QWEN2_VL, real.variant());
        assertEquals(1536, real.outHiddenSize());
    }

    @Test
    void badValuesNameTheKey() {
        String e = error("{\"model_type\": \"qwen2_5_vl\", \"depth\": 4, \"fullatt_block_indexes\": [1, 4]}");
        assertTrue(e.startsWith("config.json: vision_config.fullatt_block_indexes: block index 4"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"depth\": 4, \"fullatt_block_indexes\": [-1]}");
        assertTrue(e.contains("vision_config.fullatt_block_indexes: block index -1"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"hidden_size\": 100, \"num_heads\": 3}");
        assertTrue(e.startsWith("config.json: vision_config.num_heads: must divide"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"hidden_size\": 60, \"num_heads\": 10}");
        assertTrue(e.contains("vision_config.num_heads: the head size 60/10 = 6 must be a multiple of 4"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"num_heads\": 0}");
        assertTrue(e.contains("vision_config.num_heads: expected a positive integer, found 0"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"hidden_act\": \"swiglu\"}");
        assertTrue(e.contains("vision_config.hidden_act: unsupported activation 'swiglu'"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"window_size\": 20}");
        assertTrue(e.contains("vision_config.window_size: must be at least"), e);
        e = error("{\"model_type\": \"llava\"}");
        assertTrue(e.contains("vision_config.model_type: expected \"qwen2_vl\" or \"qwen2_5_vl\""), e);
        e = error("{\"depth\": 2}");
        assertTrue(e.contains("vision_config.model_type: missing"), e);
        e = error("{\"model_type\": \"qwen2_vl\", \"mlp_ratio\": -1}");
        assertTrue(e.contains("vision_config.mlp_ratio"), e);
        e = error("{\"model_type\": \"qwen2_5_vl\", \"depth\": \"four\"}");
        assertTrue(e.contains("vision_config.depth: expected an integer"), e);
    }
}
