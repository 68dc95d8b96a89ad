package dev.casa.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.vision.siglip.SiglipVisionConfig;
import dev.casa.core.kernels.ThreadPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fixture case with images (models/fixtures, made by the float64 PyTorch reference): the
 * case's pixels.npy through the encoder must give its vision_features.npy and image_embeddings.npy
 * within 1e-3·max(1, max|ref|).
 */
class VisionFixtureTest {
    static final Path FIXTURES = Path.of("..", "models", "fixtures");
    private static ThreadPool pool;

    @BeforeAll static void start() { pool = new ThreadPool(2); }
    @AfterAll static void stop() { pool.close(); }

    @TestFactory
    List<DynamicTest> everyVisionCase() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(FIXTURES)) {
            for (Path dir : dirs.sorted().toList()) {
                Path cases = dir.resolve("cases");
                if (!Files.isDirectory(cases)) continue;
                try (Stream<Path> cs = Files.list(cases)) {
                    for (Path c : cs.sorted().toList()) {
                        if (Files.exists(c.resolve("pixels.npy"))) {
                            tests.add(DynamicTest.dynamicTest(dir.getFileName() + "/" + c.getFileName(), () -> check(dir, c)));
                        }
                    }
                }
            }
        }
        // The reference ships 40 image cases over 8 models; an empty or shrunken list is a broken checkout.
        assertTrue(tests.size() >= 35, "found only " + tests.size() + " vision fixture cases under " + FIXTURES.toAbsolutePath());
        return tests;
    }

    private static void check(Path dir, Path caseDir) throws IOException {
        NpyArray pixels = Npy.read(caseDir.resolve("pixels.npy"));
        NpyArray features = Npy.read(caseDir.resolve("vision_features.npy"));
        NpyArray embeddings = Npy.read(caseDir.resolve("image_embeddings.npy"));
        // The whole loading path: config.json + model.safetensors through ModelWeights.
        try (VisionEncoder encoder = VisionEncoder.open(dir, pool)) {
            SiglipVisionConfig vc = encoder.config().vision();
            int images = (int) pixels.shape()[0];
            assertArrayEquals(new long[] {images, vc.numChannels(), vc.imageSize(), vc.imageSize()}, pixels.shape(), "pixels shape");
            assertArrayEquals(new long[] {images, vc.numPatches(), vc.hiddenSize()}, features.shape(), "features shape");
            assertArrayEquals(new long[] {images, vc.numPatches(), encoder.embeddingSize()}, embeddings.shape(), "embeddings shape");
            float[] px = pixels.toFloats();
            assertClose(features.toFloats(), encoder.featuresBatch(px, images), "vision_features");
            assertClose(embeddings.toFloats(), encoder.encodeBatch(px, images), "image_embeddings");
        }
    }

    static void assertClose(float[] ref, float[] got, String what) {
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < ref.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
        }
        double tol = 1e-3 * Math.max(1, maxRef);
        assertTrue(maxDiff <= tol, what + ": max |diff| " + maxDiff + " > " + tol + " (max |ref| " + maxRef + ")");
    }
}
