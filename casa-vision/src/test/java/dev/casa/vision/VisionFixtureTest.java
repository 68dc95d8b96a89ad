package dev.casa.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        // The reference ships 35 image cases across 9 models; an empty or shrunken list is a broken checkout.
        assertTrue(tests.size() >= 30, "found only " + tests.size() + " vision fixture cases under " + FIXTURES.toAbsolutePath());
        return tests;
    }

    private static void check(Path dir, Path caseDir) throws IOException {
        VisionModelConfig config = VisionModelConfig.read(dir.resolve("config.json"));
        VisionEncoder encoder = VisionEncoder.load(config, TestFiles.readSafetensors(dir.resolve("model.safetensors")), pool);
        TestFiles.Npy pixels = TestFiles.readNpy(caseDir.resolve("pixels.npy"));
        TestFiles.Npy features = TestFiles.readNpy(caseDir.resolve("vision_features.npy"));
        TestFiles.Npy embeddings = TestFiles.readNpy(caseDir.resolve("image_embeddings.npy"));
        int images = (int) pixels.shape()[0];
        VisionConfig vc = config.vision();
        assertArrayEquals(new long[] {images, vc.numChannels(), vc.imageSize(), vc.imageSize()}, pixels.shape(), "pixels shape");
        assertArrayEquals(new long[] {images, vc.numPatches(), vc.hiddenSize()}, features.shape(), "features shape");
        assertArrayEquals(new long[] {images, vc.numPatches(), encoder.embeddingSize()}, embeddings.shape(), "embeddings shape");
        assertClose(features.data(), encoder.featuresBatch(pixels.data(), images), "vision_features");
        assertClose(embeddings.data(), encoder.encodeBatch(pixels.data(), images), "image_embeddings");
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
