package dev.casa.casaqwen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.CasaModel;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import dev.casa.image.EncodedImage;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merger-width check of the casa format with a Qwen tower at a width outside the JVM's small-Integer
 * cache (−128..127): the widths are boxed config values, and comparing them by reference refused every real
 * shape (e.g. Qwen2.5-VL-3B's 2048 = 2048). The development fixtures (width 64) never reach it.
 */
class CasaQwenWidthCheckTest {
    private static final int D = 256, VISION = 32, VOCAB = 300;

    @TempDir
    Path dir;

    @Test
    void aQwenTowerAsWideAsTheDecoderLoadsAtWidthsOutsideTheIntegerCache() throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree("""
                {"model_type": "casa", "fusion": "casa",
                 "vision_config": {"model_type": "qwen2_5_vl", "depth": 1, "hidden_size": %d, "intermediate_size": 48,
                   "num_heads": 2, "hidden_act": "silu", "in_channels": 3, "patch_size": 14, "temporal_patch_size": 2,
                   "spatial_merge_size": 2, "window_size": 56, "fullatt_block_indexes": [0], "out_hidden_size": %d},
                 "text_config": {"model_type": "qwen2", "vocab_size": %d, "hidden_size": %d, "intermediate_size": 64,
                   "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
                   "hidden_act": "silu", "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "attention_bias": true,
                   "rope_scaling": {"type": "default", "mrope_section": [2, 3, 3]},
                   "max_position_embeddings": 4096, "tie_word_embeddings": true},
                 "casa_config": {"layers": "all", "share_projections": false, "image_rope": "mrope_grid"},
                 "pre_image_tokens": [], "post_image_tokens": []}
                """.formatted(VISION, D, VOCAB, D));
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(c));
        Files.writeString(dir.resolve("preprocessor_config.json"), """
                {"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14, "temporal_patch_size": 2, "merge_size": 2,
                 "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                 "image_processor_type": "Qwen2VLImageProcessor"}
                """);
        SafetensorsWriter w = new SafetensorsWriter();
        SplittableRandom rnd = new SplittableRandom(1);
        random(w, rnd, "visual.patch_embed.proj.weight", VISION, 3, 2, 14, 14);
        String b = "visual.blocks.0.";
        random(w, rnd, b + "norm1.weight", VISION);
        random(w, rnd, b + "norm2.weight", VISION);
        linear(w, rnd, b + "attn.qkv", 3 * VISION, VISION, true);
        linear(w, rnd, b + "attn.proj", VISION, VISION, true);
        linear(w, rnd, b + "mlp.gate_proj", 48, VISION, true);
        linear(w, rnd, b + "mlp.up_proj", 48, VISION, true);
        linear(w, rnd, b + "mlp.down_proj", VISION, 48, true);
        random(w, rnd, "visual.merger.ln_q.weight", VISION);
        linear(w, rnd, "visual.merger.mlp.0", 4 * VISION, 4 * VISION, true);
        linear(w, rnd, "visual.merger.mlp.2", D, 4 * VISION, true);
        String p = "language_model.model.";
        random(w, rnd, p + "embed_tokens.weight", VOCAB, D);
        random(w, rnd, p + "norm.weight", D);
        String l = p + "layers.0.";
        for (String norm : new String[] {"input_layernorm", "post_attention_layernorm", "casa_layernorm"}) random(w, rnd, l + norm + ".weight", D);
        for (String attn : new String[] {"self_attn.", "casa_attn."}) {
            linear(w, rnd, l + attn + "q_proj", 64, D, true);
            linear(w, rnd, l + attn + "k_proj", 32, D, true);
            linear(w, rnd, l + attn + "v_proj", 32, D, true);
            linear(w, rnd, l + attn + "o_proj", D, 64, false);
        }
        linear(w, rnd, l + "mlp.gate_proj", 64, D, false);
        linear(w, rnd, l + "mlp.up_proj", 64, D, false);
        linear(w, rnd, l + "mlp.down_proj", D, 64, false);
        w.write(dir.resolve("model.safetensors"));

        try (CasaModel model = CasaModel.load(dir)) {
            assertTrue(model.hasVision());
            EncodedImage e = model.embedImage(RgbImage.ofRgbBytes(56, 56, new byte[3 * 56 * 56]));
            assertEquals(4, e.tokens());                       // 56x56: 4x4 patches, 2x2 merged
            assertEquals(4 * D, e.embeddings().length);        // each as wide as the decoder
        }
    }

    private static void linear(SafetensorsWriter w, SplittableRandom rnd, String prefix, int out, int in, boolean bias) {
        random(w, rnd, prefix + ".weight", out, in);
        if (bias) random(w, rnd, prefix + ".bias", out);
    }

    private static void random(SafetensorsWriter w, SplittableRandom rnd, String name, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.1 * rnd.nextGaussian());
        w.addFloats(name, DType.F32, shape, v);
    }
}
