package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.vision.image.ImagePreprocessor;
import dev.casa.vision.image.PreprocessorConfig;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Processor behaviour beyond the HF fixtures: refusals, limits, patch order, layouts. */
class ProcessorBehaviourTest {
    @TempDir
    Path dir;

    private ImageProcessor load(String json) throws IOException {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, json);
        return ImageProcessors.load(file);
    }

    /** Pixel (x, y) = (x + 3y, 7x + y, x·y) mod 256: every pixel and channel distinct in small images. */
    static RgbImage pattern(int width, int height) {
        byte[] rgb = new byte[3 * width * height];
        for (int y = 0, p = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                rgb[p++] = (byte) (x + 3 * y);
                rgb[p++] = (byte) (7 * x + y);
                rgb[p++] = (byte) (x * y);
            }
        }
        return RgbImage.ofRgbBytes(width, height, rgb);
    }

    @Test
    void qwenRefusesTooSmallAndExtremeImages() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\"}");
        ImageProcessingException small = assertThrows(ImageProcessingException.class, () -> p.process(pattern(27, 300)));
        assertTrue(small.getMessage().contains("27x300 is too small"), small.getMessage());
        ImageProcessingException wide = assertThrows(ImageProcessingException.class, () -> p.process(pattern(6000, 29)));
        assertTrue(wide.getMessage().contains("aspect ratio must be smaller than 200"), wide.getMessage());
    }

    @Test
    void qwenAcceptsHfsUpscaleAboveMaxPixels() throws IOException {
        // python: sr(30, 40, 28, 3136, 3136) = (56, 84): 4704 pixels > max_pixels, as HF does
        ImageProcessor p = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": 3136,"
                + " \"max_pixels\": 3136}");
        ProcessedImage out = p.process(pattern(40, 30));
        assertEquals(new ImageLayout.PatchGrid(1, 4, 6, 2), out.layout());
        assertArrayEquals(new long[] {24, 1176}, out.shape());
    }

    @Test
    void qwenWithoutResizeNeedsMultiplesOfTheFactor() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"do_resize\": false}");
        assertEquals(new ImageLayout.PatchGrid(1, 4, 6, 2), p.process(pattern(84, 56)).layout());
        ImageProcessingException e = assertThrows(ImageProcessingException.class, () -> p.process(pattern(85, 56)));
        assertTrue(e.getMessage().contains("multiples of patch_size x merge_size = 28"), e.getMessage());
    }

    /**
     * The patch order against a literal transcription of HF's reshape/transpose on raw values (no resize,
     * rescale or normalize), with T = 3 so the frame repetition shows: pixel_values[row][col] with
     * row = ((gy·(w/m) + gx)·m + my)·m + mx and col = (c·T + f)·P² + py·P + px is channel c of pixel
     * ((gy·m + my)·P + py, (gx·m + mx)·P + px).
     */
    @Test
    void qwenPatchOrderIsHfs() throws IOException {
        int p = 2;
        int m = 2;
        int frames = 3;
        ImageProcessor proc = load("{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"do_resize\": false,"
                + " \"do_rescale\": false, \"do_normalize\": false, \"patch_size\": 2, \"merge_size\": 2,"
                + " \"temporal_patch_size\": 3}");
        int width = 12;
        int height = 8;
        RgbImage image = pattern(width, height);
        byte[] rgb = image.toRgbBytes();
        ProcessedImage out = proc.process(image);
        int gh = height / p;
        int gw = width / p;
        int cols = 3 * frames * p * p;
        assertArrayEquals(new long[] {gh * gw, cols}, out.shape());
        // HF: reshape to (1, T, C, gh/m, m, P, gw/m, m, P), transpose (0, 3, 6, 4, 7, 2, 1, 5, 8)
        int row = 0;
        for (int gy = 0; gy < gh / m; gy++) {
            for (int gx = 0; gx < gw / m; gx++) {
                for (int my = 0; my < m; my++) {
                    for (int mx = 0; mx < m; mx++, row++) {
                        int col = 0;
                        for (int c = 0; c < 3; c++) {
                            for (int f = 0; f < frames; f++) {
                                for (int py = 0; py < p; py++) {
                                    for (int px = 0; px < p; px++, col++) {
                                        int y = (gy * m + my) * p + py;
                                        int x = (gx * m + mx) * p + px;
                                        float want = rgb[3 * (y * width + x) + c] & 0xff;
                                        assertEquals(want, out.pixels()[row * cols + col],
                                                "row " + row + " col " + col);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void idefics3RefusesMoreTilesThanHfsMaximum() throws IOException {
        // Without do_resize nothing caps the image at 4096 px: 5000 px wide would be 79 tiles of 64 per row.
        ImageProcessor p = load("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"do_resize\": false,"
                + " \"max_image_size\": {\"longest_edge\": 64}}");
        ImageProcessingException e = assertThrows(ImageProcessingException.class, () -> p.process(pattern(5000, 10)));
        assertTrue(e.getMessage().contains("64 per side"), e.getMessage());
        // At exactly 4096 px it is allowed (64 tiles per row, 1 row).
        assertEquals(new ImageLayout.Tiles(1, 64, 64), ((Idefics3ImageProcessor) p).layout(4096, 10));
    }

    @Test
    void idefics3ImageThatFitsOneTileIsNotSplit() throws IOException {
        ImageProcessor p = load("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": 64},"
                + " \"max_image_size\": {\"longest_edge\": 64}}");
        ProcessedImage out = p.process(pattern(50, 40));
        assertEquals(new ImageLayout.Tiles(0, 0, 64), out.layout());
        assertArrayEquals(new long[] {1, 3, 64, 64}, out.shape());
        assertEquals("{\"rows\": 0, \"cols\": 0}", ImageProcessors.metaJson(out.layout()));
    }

    @Test
    void siglipAdapterIsThePreprocessor() throws IOException {
        ImageProcessor p = load("{\"size\": {\"height\": 32, \"width\": 32}, \"resample\": 3}");
        RgbImage image = pattern(50, 40);
        ProcessedImage out = p.process(image);
        assertArrayEquals(new long[] {3, 32, 32}, out.shape());
        assertEquals(new ImageLayout.Fixed(32, 32), out.layout());
        PreprocessorConfig config = ((SiglipImageProcessor) p).config();
        assertArrayEquals(new ImagePreprocessor(config).preprocess(image), out.pixels());
        assertEquals("{}", ImageProcessors.metaJson(out.layout()));
    }

    @Test
    void layoutHelpers() {
        ImageLayout.PatchGrid g = new ImageLayout.PatchGrid(1, 6, 8, 2);
        assertEquals(3, g.mergedRows());
        assertEquals(4, g.mergedCols());
        assertEquals(12, g.tokens());
        assertEquals("{\"image_grid_thw\": [1, 6, 8]}", ImageProcessors.metaJson(g));
        assertEquals(13, new ImageLayout.Tiles(3, 4, 512).numTiles());
        assertEquals(1, new ImageLayout.Tiles(0, 0, 512).numTiles());
        assertThrows(IllegalArgumentException.class, () -> new ImageLayout.PatchGrid(1, 5, 8, 2));
        assertThrows(IllegalArgumentException.class, () -> new ImageLayout.Tiles(0, 3, 512));
        assertThrows(IllegalArgumentException.class, () -> new ProcessedImage(new float[5], new long[] {2, 3}, g));
    }
}
