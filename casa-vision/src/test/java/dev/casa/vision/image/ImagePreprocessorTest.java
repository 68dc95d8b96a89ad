package dev.casa.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Full §5 preprocessing against HF SiglipImageProcessor's numpy arithmetic on Pillow's pixels
 * (reproduced in make_fixtures.py): expected bit-identical float32.
 */
class ImagePreprocessorTest {

    static Stream<JsonNode> preprocessCases() {
        List<JsonNode> cases = new ArrayList<>();
        ImageFixtures.MANIFEST.get("preprocess").forEach(cases::add);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("preprocessCases")
    void matchesHfSiglipProcessor(JsonNode c) {
        PreprocessorConfig config = PreprocessorConfig.load(ImageFixtures.DIR.resolve(c.get("config").asText()));
        float[] actual = new ImagePreprocessor(config).preprocess(ImageDecoder.decode(
                ImageFixtures.source(c.get("source").asText())));
        JsonNode shape = c.get("shape");
        assertEquals(shape.get(0).intValue() * shape.get(1).intValue() * shape.get(2).intValue(), actual.length);
        byte[] actualBytes = littleEndian(actual);
        byte[] expectedBytes = ImageFixtures.expectedBytes(c);
        if (expectedBytes == null) {
            assertEquals(c.get("sha256").asText(), ImageFixtures.sha256(actualBytes), c + " checksum");
            return;
        }
        float[] expected = new float[actual.length];
        ByteBuffer.wrap(expectedBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
        assertEquals(0, maxUlpDifference(expected, actual), c.toString());
    }

    @Test
    void batchStacksSingleImages() {
        PreprocessorConfig config = PreprocessorConfig.load(ImageFixtures.DIR.resolve("imagenet_bilinear_40x56.json"));
        ImagePreprocessor p = new ImagePreprocessor(config);
        RgbImage a = ImageFixtures.pillowRgb("rgb_37x23.png");
        RgbImage b = ImageFixtures.pillowRgb("rgba_transparent_40x30.png");
        float[] batch = p.preprocessBatch(List.of(a, b));
        float[] first = p.preprocess(a);
        float[] second = p.preprocess(b);
        assertEquals(first.length + second.length, batch.length);
        assertArrayEquals(first, java.util.Arrays.copyOfRange(batch, 0, first.length));
        assertArrayEquals(second, java.util.Arrays.copyOfRange(batch, first.length, batch.length));
    }

    @Test
    void configDefaultsAreSiglips() {
        PreprocessorConfig c = PreprocessorConfig.fromJson("{}");
        assertEquals(PreprocessorConfig.siglipDefaults(), c);
        assertEquals(224, c.height());
        assertEquals(ResampleFilter.BILINEAR, c.resample());
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, c.imageStd());
    }

    @Test
    void configReadsHfKeys() {
        PreprocessorConfig c = PreprocessorConfig.fromJson("""
                {"size": {"height": 384, "width": 320}, "resample": 3, "do_rescale": true,
                 "rescale_factor": 0.00392156862745098, "do_normalize": false, "image_mean": 0.25,
                 "image_std": [1, 2, 3], "do_convert_rgb": null, "processor_class": "SiglipProcessor"}""");
        assertEquals(384, c.height());
        assertEquals(320, c.width());
        assertEquals(ResampleFilter.BICUBIC, c.resample());
        assertEquals(false, c.doNormalize());
        assertArrayEquals(new double[] {0.25, 0.25, 0.25}, c.imageMean());
        assertArrayEquals(new double[] {1, 2, 3}, c.imageStd());
    }

    @Test
    void badConfigsNameTheKey() {
        assertMessage("{\"size\": {\"shortest_edge\": 224}}", "'size'");
        assertMessage("{\"resample\": 9}", "unknown resample filter 9");
        assertMessage("{\"image_mean\": [0.5, 0.5]}", "'image_mean'");
        assertMessage("{\"do_rescale\": \"yes\"}", "'do_rescale'");
        assertMessage("{\"image_std\": [0.5, 0, 0.5]}", "image_std must be non-zero");
        assertMessage("{\"size\": ", "invalid JSON");
        assertMessage("[1, 2]", "JSON object");
    }

    private static void assertMessage(String json, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.fromJson(json));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    static long maxUlpDifference(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        long max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs((long) Float.floatToIntBits(expected[i]) - Float.floatToIntBits(actual[i])));
        }
        return max;
    }
}
