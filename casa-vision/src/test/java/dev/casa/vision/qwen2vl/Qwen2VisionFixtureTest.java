package dev.casa.vision.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.io.NpyArray;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tower against HF's own outputs (models/fixtures/hf, float64 transformers v4.51.3): each image's
 * pixel_values through the tower must give its rows of image_embeds.npy within 1e-5 of the largest
 * |value| (the brief allows 1e-4); on 1 and 2 threads, one image per call and all images in one call.
 */
class Qwen2VisionFixtureTest {
    /** max |Δ| / max |ref|. */
    static final double TOLERANCE = 1e-5;
    private static ThreadPool one, two;

    @BeforeAll static void start() { one = new ThreadPool(1); two = new ThreadPool(2); }
    @AfterAll static void stop() { one.close(); two.close(); }

    static List<String> cases() { return QwenFixtures.CASES; }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesHf(String name) {
        Path dir = QwenFixtures.caseDir(name);
        Qwen2VisionConfig config = JsonConfig.read(dir.resolve("model/config.json")).bind("vision_config", Qwen2VisionConfig.class);
        List<QwenFixtures.Image> images = QwenFixtures.images(dir);
        NpyArray embeds = QwenFixtures.embeds(dir);
        float[] ref = embeds.toFloats();
        try (TensorStore store = ModelWeights.open(dir.resolve("model"))) {
            for (ThreadPool pool : new ThreadPool[] {one, two}) {
                Qwen2VisionTower tower = Qwen2VisionTower.load(config, store, Qwen2VisionTower.HUB_PREFIX, pool);
                assertEquals(embeds.shape()[1], tower.outHiddenSize());
                int width = tower.outHiddenSize();
                // one image per call
                List<float[]> singles = new ArrayList<>();
                int row = 0;
                for (int i = 0; i < images.size(); i++) {
                    QwenFixtures.Image im = images.get(i);
                    float[] got = tower.forward(im.pixels(), im.grid().t(), im.grid().h(), im.grid().w());
                    int tokens = tower.tokens(im.grid());
                    assertEquals(tokens * width, got.length);
                    report(name + " image " + i + " threads=" + pool.threads(), ref, row * width, got);
                    singles.add(got);
                    row += tokens;
                }
                assertEquals(embeds.shape()[0], row, "image_embeds rows");
                // all images in one call
                List<GridThw> grids = images.stream().map(QwenFixtures.Image::grid).toList();
                List<float[]> each = tower.encodeEach(images.stream().map(QwenFixtures.Image::pixels).toList(), grids);
                float[] all = new float[ref.length];
                int at = 0;
                for (int i = 0; i < images.size(); i++) {
                    float[] e = each.get(i);
                    System.arraycopy(e, 0, all, at, e.length);
                    at += e.length;
                    double diff = maxDiff(singles.get(i), 0, e);
                    assertTrue(diff <= 1e-6 * maxAbs(e), name + ": image " + i + " in a multi-image call differs from"
                            + " its single call by " + diff);
                }
                report(name + " all images threads=" + pool.threads(), ref, 0, all);
            }
        }
    }

    /** {@link Qwen2VisionTower#open}: config from the enclosing config.json, prefix detected. */
    @Test
    void openModelDirectory() {
        Path dir = QwenFixtures.caseDir("qwen25vl_two_images");
        List<QwenFixtures.Image> images = QwenFixtures.images(dir);
        float[] ref = QwenFixtures.embeds(dir).toFloats();
        try (Qwen2VisionTower tower = Qwen2VisionTower.open(dir.resolve("model"), two)) {
            assertEquals(Qwen2VisionConfig.Variant.QWEN2_5_VL, tower.config().variant());
            float[] pixels = concat(images.stream().map(QwenFixtures.Image::pixels).toList());
            float[] got = tower.encode(pixels, images.stream().map(QwenFixtures.Image::grid).toList());
            report("open qwen25vl_two_images", ref, 0, got);
        }
    }

    static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static void report(String what, float[] ref, int refOffset, float[] got) {
        double maxRef = 0;
        for (int i = 0; i < got.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[refOffset + i]));
        double diff = maxDiff(ref, refOffset, got);
        System.out.printf("%s: max |Δ| = %.3g, max |ref| = %.3g, relative %.3g%n", what, diff, maxRef, diff / maxRef);
        assertTrue(diff <= TOLERANCE * maxRef, what + ": max |Δ| " + diff + " > " + TOLERANCE + " · max|ref| " + maxRef);
    }

    private static double maxDiff(float[] ref, int refOffset, float[] got) {
        double d = 0;
        for (int i = 0; i < got.length; i++) d = Math.max(d, Math.abs((double) ref[refOffset + i] - got[i]));
        return d;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }
}
