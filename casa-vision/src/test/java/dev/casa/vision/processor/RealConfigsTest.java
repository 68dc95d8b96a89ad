package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.casa.vision.image.RgbImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The published preprocessor_config.json files of SmolVLM-256M-Instruct and Qwen2.5-VL-3B-Instruct on a
 * synthetic 1920x1080 image. The files are third-party: they are read from {@code shared/fixtures/real}
 * beside the repository (or beside one of its parent directories, for worktrees) and never copied into
 * it; the tests are skipped when they are absent.
 *
 * <p>Expected pixels: SHA-256 of the float32 values computed by an independent Pillow 9.4 + NumPy
 * transcription of HF v4.51.3's slow processors (the image is {@link #synthetic()} built the same way):
 * <pre>
 * y, x = np.mgrid[0:1080, 0:1920]
 * a = np.stack([(x + 2*y) &amp; 255, ((x*y) &gt;&gt; 6) &amp; 255, ((x ^ y) * 37) &amp; 255], -1).astype(np.uint8)
 * norm = lambda t, m, s: ((t.astype(np.float64) * (1/255)).astype(np.float32) - np.float32(m)) / np.float32(s)
 * SmolVLM: r2 = im.resize((2048, 1152), LANCZOS).resize((2048, 1536), LANCZOS); 12 crops of 512 row by
 *          row, then r2.resize((512, 512), LANCZOS); each norm(.., 0.5, 0.5) as CHW; stacked
 * Qwen:    im.resize((1932, 1092), BICUBIC), norm with CLIP mean/std, CHW, two frames, reshape
 *          (1, 2, 3, 39, 2, 14, 69, 2, 14), transpose (0, 3, 6, 4, 7, 2, 1, 5, 8), reshape (10764, 1176)
 * </pre>
 */
class RealConfigsTest {
    private static final String SMOLVLM_SHA256 = "bc21cf1bf65a1eafa7a31495a98e4c5efae19e7e1ae5920bed8d9e845692de28";
    private static final String QWEN_SHA256 = "22a4033db16a76cf0178ddbce9aa96368393e6ea52041bd57fd7d92a47bcad75";

    /** shared/fixtures/real/NAME/preprocessor_config.json, searched beside the repo root and its parents. */
    static Path realConfig(String name) {
        for (Path dir = HfFixtures.repoRoot().getParent(); dir != null; dir = dir.getParent()) {
            Path file = dir.resolve("shared/fixtures/real").resolve(name).resolve("preprocessor_config.json");
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        Assumptions.abort("third-party config shared/fixtures/real/" + name
                + "/preprocessor_config.json not found beside the repository; skipping");
        return null;
    }

    static RgbImage synthetic() {
        int w = 1920;
        int h = 1080;
        byte[] rgb = new byte[3 * w * h];
        for (int y = 0, p = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                rgb[p++] = (byte) (x + 2 * y);
                rgb[p++] = (byte) ((x * y) >> 6);
                rgb[p++] = (byte) ((x ^ y) * 37);
            }
        }
        return RgbImage.ofRgbBytes(w, h, rgb);
    }

    @Test
    void smolvlmSplitsFullHdIntoTwelveTilesAndGlobal() throws Exception {
        ImageProcessor processor = ImageProcessors.load(realConfig("smolvlm-256m-instruct"));
        assertInstanceOf(Idefics3ImageProcessor.class, processor);
        assertEquals(new ImageLayout.Tiles(3, 4, 512), ((Idefics3ImageProcessor) processor).layout(1920, 1080));
        ProcessedImage out = processor.process(synthetic());
        assertArrayEquals(new long[] {13, 3, 512, 512}, out.shape());
        assertEquals(new ImageLayout.Tiles(3, 4, 512), out.layout());
        assertEquals("{\"rows\": 3, \"cols\": 4}", ImageProcessors.metaJson(out.layout()));
        assertEquals(SMOLVLM_SHA256, sha256(out.pixels()));
    }

    @Test
    void qwenGridForFullHd() throws Exception {
        ImageProcessor processor = ImageProcessors.load(realConfig("qwen2.5-vl-3b-instruct"));
        assertInstanceOf(Qwen2VLImageProcessor.class, processor);
        // python: sr(1080, 1920, 28, 3136, 12845056) = (1092, 1932) -> grid 1 x 78 x 138
        ImageLayout.PatchGrid grid = new ImageLayout.PatchGrid(1, 78, 138, 2);
        assertEquals(grid, ((Qwen2VLImageProcessor) processor).layout(1920, 1080));
        ProcessedImage out = processor.process(synthetic());
        assertArrayEquals(new long[] {78 * 138, 1176}, out.shape());
        assertEquals(grid, out.layout());
        assertEquals(2691, grid.tokens());
        assertEquals("{\"image_grid_thw\": [1, 78, 138]}", ImageProcessors.metaJson(out.layout()));
        assertEquals(QWEN_SHA256, sha256(out.pixels()));
    }

    static String sha256(float[] values) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }
}
