package dev.casa.vision.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.ThreadPool;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random towers with what the HF fixtures lack against the float64 transcription
 * {@link ReferenceQwenVision}: videos (t = 2: one attention segment and separate windows per frame), the
 * real head size 80 and 4×4-unit windows, grids that are and are not whole windows, merge size 1,
 * a fractional mlp_ratio, BF16 weights, the {@code model.visual.} prefix.
 */
class Qwen2VisionReferenceTest {
    private static ThreadPool pool;

    @BeforeAll static void start() { pool = new ThreadPool(2); }
    @AfterAll static void stop() { pool.close(); }

    static Qwen2VisionConfig config(String json) {
        return JsonConfig.parse("{\"vision_config\": " + json + "}", "test").bind("vision_config", Qwen2VisionConfig.class);
    }

    @Test
    void qwen25RealHeadSizeWindowsAndVideo() {
        Qwen2VisionConfig c = config("""
                {"model_type": "qwen2_5_vl", "depth": 3, "hidden_size": 160, "num_heads": 2, "intermediate_size": 96,
                 "out_hidden_size": 48, "window_size": 112, "fullatt_block_indexes": [1]}""");
        check(c, List.of(new GridThw(2, 10, 10), new GridThw(1, 8, 20), new GridThw(1, 16, 8)), "visual.", false);
    }

    @Test
    void qwen25MergeSizeOneBf16ResavedPrefix() {
        Qwen2VisionConfig c = config("""
                {"model_type": "qwen2_5_vl", "depth": 2, "hidden_size": 32, "num_heads": 2, "intermediate_size": 40,
                 "out_hidden_size": 24, "window_size": 28, "patch_size": 14, "spatial_merge_size": 1,
                 "temporal_patch_size": 1, "in_chans": 2, "fullatt_block_indexes": [], "hidden_act": "gelu_pytorch_tanh"}""");
        check(c, List.of(new GridThw(1, 5, 3), new GridThw(3, 2, 2)), "model.visual.", true);
    }

    @Test
    void qwen2vlVideoFractionalMlpRatio() {
        Qwen2VisionConfig c = config("""
                {"model_type": "qwen2_vl", "depth": 2, "embed_dim": 64, "hidden_size": 40, "num_heads": 4,
                 "mlp_ratio": 2.5}""");
        check(c, List.of(new GridThw(2, 4, 6), new GridThw(1, 6, 2)), "visual.", false);
    }

    private static void check(Qwen2VisionConfig c, List<GridThw> grids, String prefix, boolean bf16) {
        RandomQwenVision.Store store = RandomQwenVision.weights(c, prefix, 3, bf16);
        Qwen2VisionTower tower = Qwen2VisionTower.load(c, store, prefix, pool);
        int rows = grids.stream().mapToInt(GridThw::patches).sum();
        float[] pixels = RandomQwenVision.pixels(rows, c.patchVectorSize(), 9);
        double[] ref = ReferenceQwenVision.forward(c, store, prefix, pixels, grids);
        float[] got = tower.encode(pixels, grids);
        double maxRef = 0, diff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            diff = Math.max(diff, Math.abs(ref[i] - got[i]));
        }
        System.out.printf("%s %s: max |Δ| = %.3g, max |ref| = %.3g, relative %.3g%n", c.modelType(), grids, diff, maxRef, diff / maxRef);
        assertTrue(ref.length == got.length && diff <= 1e-5 * maxRef, "max |Δ| " + diff + " vs max |ref| " + maxRef);
    }
}
