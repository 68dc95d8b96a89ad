package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pixel values and meta against HF v4.51.3's slow image processors for every image of every HF fixture
 * case: shapes equal, max |Δ| ≤ 1e-5, meta JSON equal byte for byte.
 */
class HfParityTest {
    private static final double TOLERANCE = 1e-5;
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<HfFixtures.Item> items() { return HfFixtures.items(); }

    @Test
    void everyCaseIsFound() {
        // 4 processor cases (5 images) and 7 model cases with images (9 images)
        assertEquals(14, items().size(), items().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("items")
    void matchesHf(HfFixtures.Item item) throws IOException {
        ProcessedImage got = ImageProcessors.load(item.config()).process(ImageDecoder.decode(item.image()));
        NpyArray expected = Npy.read(item.pixels());
        assertArrayEquals(expected.shape(), got.shape(), "shape");
        float[] want = expected.toFloats();
        double max = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs((double) want[i] - got.pixels()[i]));
        }
        System.out.printf("%-60s shape %-18s max|d| %s%n", item, java.util.Arrays.toString(got.shape()), max);
        assertTrue(max <= TOLERANCE, item + ": max |d| " + max);

        String meta = Files.readString(item.meta()).strip();
        assertEquals(JSON.readTree(meta), JSON.readTree(ImageProcessors.metaJson(got.layout())), "meta");
        assertEquals(meta, ImageProcessors.metaJson(got.layout()), "meta text");
    }
}
