package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.vision.image.ResampleFilter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loading preprocessor_config.json: type dispatch, HF's defaults, and errors naming file and key. */
class ProcessorConfigTest {
    @TempDir
    Path dir;

    private Path write(String json) throws IOException {
        Path file = dir.resolve("preprocessor_config.json");
        Files.writeString(file, json);
        return file;
    }

    private String loadError(String json) throws IOException {
        Path file = write(json);
        ImageProcessingException e = assertThrows(ImageProcessingException.class, () -> ImageProcessors.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownTypeListsSupported() throws IOException {
        String m = loadError("{\"image_processor_type\": \"CLIPImageProcessor\"}");
        assertTrue(m.contains("unsupported \"CLIPImageProcessor\""), m);
        for (String t : ImageProcessors.SUPPORTED_TYPES) {
            assertTrue(m.contains(t), m);
        }
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": -3}}"
            + "| preprocessor_config.json: size.longest_edge: expected a positive integer, found -3",
        "{\"image_processor_type\": \"SmolVLMImageProcessor\", \"max_image_size\": {\"longest_edge\": 0}}"
            + "| max_image_size.longest_edge: expected a positive integer, found 0",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"max_image_size\": {\"height\": 5}}"
            + "| max_image_size.longest_edge: required",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"height\": 5}}"
            + "| size: expected 'longest_edge' or 'height' and 'width'",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": {\"longest_edge\": \"2048\"}}"
            + "| size.longest_edge: expected an integer, found \"2048\"",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"size\": 2048}"
            + "| size: expected an object, found 2048",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"do_image_splitting\": \"yes\"}"
            + "| do_image_splitting: expected true or false, found \"yes\"",
        "{\"image_processor_type\": \"Idefics3ImageProcessor\", \"resample\": 9}"
            + "| resample: unknown resample filter 9",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"patch_size\": 14.5}"
            + "| patch_size: expected an integer, found 14.5",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"merge_size\": 0}"
            + "| merge_size: expected a positive integer, found 0",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"max_pixels\": 0}"
            + "| max_pixels: expected a positive integer, found 0",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"min_pixels\": -1}"
            + "| min_pixels: expected a non-negative integer, found -1",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"patch_size\": 99999999999}"
            + "| patch_size: expected an integer in range, found 99999999999",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"size\": {\"shortest_edge\": 3136}}"
            + "| size: must contain 'shortest_edge' and 'longest_edge' keys",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"image_mean\": [0.5, \"x\", 0.5]}"
            + "| image_mean: expected a number or a list of 3 numbers, found [0.5,\"x\",0.5]",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"image_std\": [0.5, 0.5]}"
            + "| image_std: expected a number or a list of 3 numbers",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"image_std\": [0.5, 0, 0.5]}"
            + "| image_std: expected non-zero values",
        "{\"image_processor_type\": \"Qwen2VLImageProcessor\", \"do_rescale\": 1}"
            + "| do_rescale: expected true or false, found 1",
        "{\"image_processor_type\": 7} | image_processor_type: expected a string, found 7",
        "[1, 2] | expected a JSON object",
        "{\"image_processor_type\": | not valid JSON",
    })
    void badValuesNameFileAndKey(String json, String expected) throws IOException {
        String m = loadError(json);
        assertTrue(m.contains(expected.strip()), m);
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("nope.json");
        ImageProcessingException e = assertThrows(ImageProcessingException.class, () -> ImageProcessors.load(file));
        assertEquals(file + ": file not found", e.getMessage());
    }

    @Test
    void badSiglipConfigNamesFile() throws IOException {
        String m = loadError("{\"size\": {\"height\": 224, \"width\": 112}, \"do_resize\": false}");
        assertTrue(m.contains("do_resize false"), m);
        m = loadError("{\"image_processor_type\": \"SiglipImageProcessor\", \"do_resize\": 3}");
        assertTrue(m.contains("do_resize"), m);
    }

    @Test
    void qwenDefaultsAreHfs() throws IOException {
        Qwen2VLProcessorConfig c = ((Qwen2VLImageProcessor) ImageProcessors.load(
                write("{\"image_processor_type\": \"Qwen2VLImageProcessor\"}"))).config();
        assertEquals(Qwen2VLProcessorConfig.defaults(), c);
        assertEquals(3136, c.minPixels());
        assertEquals(1003520, c.maxPixels());
        assertEquals(ResampleFilter.BICUBIC, c.resample());
        assertEquals(28, c.factor());
        assertEquals(2, c.temporalPatchSize());
        assertArrayEquals(PixelScaling.CLIP_MEAN, c.scaling().imageMean());
        assertArrayEquals(PixelScaling.CLIP_STD, c.scaling().imageStd());
        assertEquals(1 / 255.0, c.scaling().rescaleFactor());
    }

    @Test
    void qwenSizeValuesAreDiscardedAsInV4513() throws IOException {
        // v4.51.3's __init__ replaces a complete `size` by its defaults; only min/max_pixels override them.
        Path file = write("{\"image_processor_type\": \"Qwen2VLImageProcessor\","
                + " \"size\": {\"shortest_edge\": 100, \"longest_edge\": 200000}}");
        Qwen2VLProcessorConfig c = Qwen2VLProcessorConfig.load(file);
        assertEquals(3136, c.minPixels());
        assertEquals(1003520, c.maxPixels());
        c = Qwen2VLProcessorConfig.load(write("{\"size\": {\"shortest_edge\": 100, \"longest_edge\": 200000},"
                + " \"max_pixels\": 25088}"));
        assertEquals(3136, c.minPixels());
        assertEquals(25088, c.maxPixels());
        c = Qwen2VLProcessorConfig.load(write("{\"min_pixels\": 100}"));
        assertEquals(100, c.minPixels());
        assertEquals(1003520, c.maxPixels());
    }

    @Test
    void idefics3DefaultsAreHfs() throws IOException {
        Idefics3ProcessorConfig c = ((Idefics3ImageProcessor) ImageProcessors.load(
                write("{\"image_processor_type\": \"Idefics3ImageProcessor\", \"unknown\": {\"x\": 1}}"))).config();
        assertEquals(Idefics3ProcessorConfig.defaults(), c);
        assertEquals(1456, c.longestEdge());
        assertEquals(364, c.maxImageSize());
        assertEquals(ResampleFilter.LANCZOS, c.resample());
        assertTrue(c.doImageSplitting());
        assertArrayEquals(PixelScaling.HALF, c.scaling().imageMean());
    }

    @Test
    void idefics3AcceptsHeightAndWidth() throws IOException {
        Idefics3ProcessorConfig c = Idefics3ProcessorConfig.load(write("{\"size\": {\"height\": 100, \"width\": 60},"
                + " \"image_mean\": 0.25, \"max_image_size\": {\"longest_edge\": 64}}"));
        assertEquals(0, c.longestEdge());
        assertEquals(new ImageSize(100, 60), c.fixedSize());
        assertArrayEquals(new double[] {0.25, 0.25, 0.25}, c.scaling().imageMean());
        // resized to 60x100 whatever the input, then python ve(100, 60, 64) = (128, 128): 2x2 tiles
        assertEquals(new ImageLayout.Tiles(2, 2, 64), new Idefics3ImageProcessor(c).layout(1000, 10));
    }

    @Test
    void missingTypeIsSiglip() throws IOException {
        ImageProcessor p = ImageProcessors.load(write("{\"size\": {\"height\": 32, \"width\": 32}}"));
        assertInstanceOf(SiglipImageProcessor.class, p);
        ImageProcessor q = ImageProcessors.load(write("{\"image_processor_type\": \"SiglipImageProcessor\"}"));
        assertEquals(224, ((SiglipImageProcessor) q).config().height());
    }
}
