package dev.casa.vision.idefics3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.vision.siglip.SiglipVisionConfig;
import dev.casa.vision.siglip.SiglipVisionTower;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SigLIP tower read as {@code Idefics3VisionTransformer} and the pixel-shuffle connector against HF's own
 * outputs (models/fixtures/hf, float64 transformers v4.51.3): every image's {@code pixel_values} (all its tiles
 * in one pass) through tower and connector must give its rows of {@code image_embeds.npy}
 * ({@code [tiles of all images, tokens per tile, hidden]}) within 1e-5 of the largest |value|; on 1 and 2 threads.
 */
class Idefics3VisionFixtureTest {
    static final double TOLERANCE = 1e-5;
    private static ThreadPool one, two;

    @BeforeAll static void start() { one = new ThreadPool(1); two = new ThreadPool(2); }
    @AfterAll static void stop() { one.close(); two.close(); }

    static Path caseDir(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models/fixtures/hf"))) return d.resolve("models/fixtures/hf").resolve(name);
        }
        throw new IllegalStateException("models/fixtures/hf not found");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"smolvlm_split", "smolvlm_nosplit", "idefics3_one_image"})
    void towerAndConnectorMatchHf(String name) throws IOException {
        Path dir = caseDir(name);
        JsonConfig c = JsonConfig.read(dir.resolve("model/config.json"));
        SiglipVisionConfig vc = SiglipVisionConfig.read(c, SiglipVisionConfig.Variant.IDEFICS3);
        int scale = c.root().get("scale_factor").intValue();
        int textHidden = c.root().get("text_config").get("hidden_size").intValue();
        NpyArray embeds = Npy.read(dir.resolve("image_embeds.npy"));
        float[] ref = embeds.toFloats();
        try (TensorStore store = ModelWeights.open(dir.resolve("model"))) {
            for (ThreadPool pool : new ThreadPool[] {one, two}) {
                TensorBinder b = new TensorBinder(store);
                SiglipVisionTower tower = SiglipVisionTower.bind(vc, b, "model.vision_model.", pool);
                PixelShuffleConnector connector = PixelShuffleConnector.bind(b, "model.connector.", vc.hiddenSize(), scale, textHidden, pool);
                b.rejectUnused(n -> n.startsWith("model.vision_model.") || n.startsWith("model.connector.") ? "unbound" : null);
                int perTile = (int) embeds.shape()[1];
                float[] got = new float[ref.length];
                int tiles = 0;
                for (int i = 0; Files.exists(dir.resolve("pixel_values_" + i + ".npy")); i++) {
                    NpyArray px = Npy.read(dir.resolve("pixel_values_" + i + ".npy"));
                    int count = (int) px.shape()[0], side = (int) px.shape()[2];
                    int grid = side / vc.patchSize();
                    assertEquals(perTile, connector.tokens(grid), "tokens per tile");
                    float[] features = tower.forward(px.toFloats(), count, side);
                    connector.forward(pool, features, count, grid, new float[features.length], got, tiles * perTile * textHidden);
                    tiles += count;
                }
                assertArrayEquals(new long[] {tiles, perTile, textHidden}, embeds.shape(), "image_embeds shape");
                double max = 0, maxRef = 0;
                for (int k = 0; k < ref.length; k++) {
                    max = Math.max(max, Math.abs((double) ref[k] - got[k]));
                    maxRef = Math.max(maxRef, Math.abs(ref[k]));
                }
                System.out.printf("%s threads=%d: image_embeds max |diff| %.3g (max |ref| %.3g)%n", name, pool.threads(), max, maxRef);
                assertTrue(maxRef > 0.1, "reference suspiciously small");
                assertTrue(max <= TOLERANCE * maxRef, name + ": max |diff| " + max + " > " + TOLERANCE * maxRef);
            }
        }
    }
}
