package dev.casa.vision.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.vision.VisionFeatures;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ProcessedImage;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tower and the merger as the two parts of the image path ({@code VisionTower}, {@code Connector}): features on
 * the patch grid, then one embedding per 2×2 unit on the merged grid — exactly the one-call encode, and HF's
 * {@code image_embeds}.
 */
class TowerAndMergerTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen25vl_one_image", "qwen25vl_two_images", "qwen2vl_one_image"})
    void featuresThenMergerIsTheEncodeAndHfs(String name) {
        Path dir = QwenFixtures.caseDir(name);
        Qwen2VisionConfig config = Qwen2VisionConfig.read(JsonConfig.read(dir.resolve("model/config.json")));
        float[] ref = QwenFixtures.embeds(dir).toFloats();
        try (TensorStore store = ModelWeights.open(dir.resolve("model"))) {
            Qwen2VisionTower tower = Qwen2VisionTower.load(config, store, Qwen2VisionTower.HUB_PREFIX, ThreadPool.shared());
            int row = 0;
            for (QwenFixtures.Image img : QwenFixtures.images(dir)) {
                GridThw g = img.grid();
                ProcessedImage p = new ProcessedImage(img.pixels(), new long[] {g.patches(), tower.patchVectorSize()},
                        new ImageLayout.PatchGrid(g.t(), g.h(), g.w(), config.spatialMergeSize()));
                VisionFeatures f = tower.features(p);
                assertEquals(g.h() * g.w(), f.tokens());
                assertEquals(tower.embedDim(), f.width());
                VisionFeatures e = tower.merger().connect(f);
                assertArrayEquals(new int[] {g.h() / 2, g.w() / 2}, new int[] {e.gridRows(), e.gridCols()});
                // The same computation twice: equal up to the lane order of reductions, which can differ between JIT tiers
                // (seen at 2 ulp); a different computation would differ by far more than 1e-5.
                float[] once = tower.forward(img.pixels(), g.t(), g.h(), g.w());
                float scale = 0;
                for (float v : e.values()) scale = Math.max(scale, Math.abs(v));
                assertArrayEquals(once, e.values(), 1e-5f * Math.max(1, scale), "the one-call encode");
                int width = e.width();
                double max = 0, maxRef = 0;
                for (int k = 0; k < e.values().length; k++) {
                    double r = ref[row * width + k];
                    max = Math.max(max, Math.abs(r - e.values()[k]));
                    maxRef = Math.max(maxRef, Math.abs(r));
                }
                assertTrue(max <= 1e-5 * Math.max(1, maxRef), name + ": max |diff| " + max);
                row += e.tokens();
            }
            assertEquals(ref.length, row * tower.outHiddenSize(), Arrays.toString(QwenFixtures.embeds(dir).shape()));
        }
    }
}
