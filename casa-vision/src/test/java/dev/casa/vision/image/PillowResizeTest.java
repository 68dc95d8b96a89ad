package dev.casa.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.kernels.ThreadPool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Resizing against Pillow 9.4's Image.resize on the same RGB pixels: must be bit-identical. */
class PillowResizeTest {

    static Stream<JsonNode> resizeCases() {
        List<JsonNode> cases = new ArrayList<>();
        ImageFixtures.MANIFEST.get("resize").forEach(cases::add);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("resizeCases")
    void matchesPillowResize(JsonNode c) {
        RgbImage source = ImageFixtures.pillowRgb(c.get("source").asText());
        int width = c.get("width").intValue();
        int height = c.get("height").intValue();
        ResampleFilter filter = ResampleFilter.valueOf(c.get("filter").asText());
        RgbImage resized = PillowResize.resize(source, width, height, filter);
        assertEquals(width, resized.width());
        assertEquals(height, resized.height());
        byte[] expected = ImageFixtures.expectedBytes(c);
        String what = c.get("source").asText() + " -> " + width + "x" + height + " " + filter;
        if (expected == null) {
            assertEquals(c.get("sha256").asText(), ImageFixtures.sha256(resized.toRgbBytes()), what + " checksum");
        } else {
            assertArrayEquals(expected, resized.toRgbBytes(), what);
        }
    }

    /** Three threads, so the rows split unevenly; every pass split, however small. */
    private static final ThreadPool POOL = new ThreadPool(3);

    @AfterAll
    static void closePool() { POOL.close(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("resizeCases")
    void rowsSplitBetweenThreadsStillMatchPillow(JsonNode c) {
        RgbImage source = ImageFixtures.pillowRgb(c.get("source").asText());
        int width = c.get("width").intValue();
        int height = c.get("height").intValue();
        ResampleFilter filter = ResampleFilter.valueOf(c.get("filter").asText());
        byte[] split = PillowResize.resize(source, width, height, filter, POOL, 0).toRgbBytes();
        byte[] expected = ImageFixtures.expectedBytes(c);
        String what = c.get("source").asText() + " -> " + width + "x" + height + " " + filter + ", 3 threads";
        if (expected == null) {
            assertEquals(c.get("sha256").asText(), ImageFixtures.sha256(split), what + " checksum");
        } else {
            assertArrayEquals(expected, split, what);
        }
    }

    @Test
    void aPhotoSizedResizeIsTheSameOnThreadsAsOnOne() {
        // SmolVLM's first resize: 1920x1080 -> 2048x1152 LANCZOS (both passes), then down to 512x512
        SplittableRandom r = new SplittableRandom(7);
        byte[] rgb = new byte[3 * 1920 * 1080];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) r.nextInt(256);
        RgbImage photo = new RgbImage(1920, 1080, rgb);
        for (int[] size : new int[][] {{2048, 1152}, {512, 512}, {1920, 700}}) {
            assertArrayEquals(PillowResize.resize(photo, size[0], size[1], ResampleFilter.LANCZOS).toRgbBytes(),
                    PillowResize.resize(photo, size[0], size[1], ResampleFilter.LANCZOS, POOL).toRgbBytes(),
                    size[0] + "x" + size[1]);
        }
    }

    @Test
    void sameSizeIsUnchanged() {
        RgbImage image = ImageFixtures.pillowRgb("rgb_37x23.png");
        assertSame(image, PillowResize.resize(image, 37, 23, ResampleFilter.BICUBIC));
    }

    @Test
    void rejectsEmptyTarget() {
        RgbImage image = ImageFixtures.pillowRgb("rgb_1x1.png");
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resize(image, 0, 4, ResampleFilter.BILINEAR));
    }

    @Test
    void filterCodesArePillows() {
        assertEquals(ResampleFilter.BICUBIC, ResampleFilter.fromPillowCode(3));
        assertEquals(ResampleFilter.BILINEAR, ResampleFilter.fromPillowCode(2));
        assertEquals(ResampleFilter.NEAREST, ResampleFilter.fromPillowCode(0));
        assertThrows(IllegalArgumentException.class, () -> ResampleFilter.fromPillowCode(7));
    }
}
