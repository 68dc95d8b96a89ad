package dev.casa.family.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.CasaModel;
import dev.casa.core.kernels.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merger-width check with real sizes (2048: boxed integers outside the JVM's small-value cache, which
 * the tiny HF fixtures never reach). A directory without weights gets as far as the weights when the widths
 * agree, and stops at vision_config when they differ.
 */
class Qwen2VLWidthCheckTest {

    private static String config(int outHidden) {
        return """
            {"model_type": "qwen2_5_vl", "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 11008,
             "num_hidden_layers": 2, "num_attention_heads": 16, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
             "rope_theta": 1000000.0, "max_position_embeddings": 128000, "tie_word_embeddings": true,
             "hidden_act": "silu", "image_token_id": 151655,
             "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
             "vision_config": {"depth": 2, "hidden_act": "silu", "hidden_size": 1280, "intermediate_size": 3420,
               "num_heads": 16, "in_chans": 3, "out_hidden_size": %d, "patch_size": 14, "spatial_merge_size": 2,
               "window_size": 112, "fullatt_block_indexes": [1], "tokens_per_second": 2, "temporal_patch_size": 2}}
            """.formatted(outHidden);
    }

    private static String loadError(Path dir, int outHidden) throws Exception {
        Files.writeString(dir.resolve("config.json"), config(outHidden));
        Files.writeString(dir.resolve("preprocessor_config.json"),
                "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 3136, \"max_pixels\": 12845056}");
        try (ThreadPool pool = new ThreadPool(1)) {
            return assertThrows(RuntimeException.class, () -> CasaModel.load(dir, pool)).getMessage();
        }
    }

    @Test
    void equalRealWidthsPassTheCheck(@TempDir Path dir) throws Exception {
        String message = loadError(dir, 2048);
        assertFalse(message.contains("merger outputs"), message);
        assertTrue(message.contains("no weights"), message);
    }

    @Test
    void differentWidthsAreAnErrorNamingTheKey(@TempDir Path dir) throws Exception {
        String message = loadError(dir, 3584);
        assertTrue(message.contains("vision_config") && message.contains("merger outputs 3584 features but the text hidden_size is 2048"),
                message);
    }
}
