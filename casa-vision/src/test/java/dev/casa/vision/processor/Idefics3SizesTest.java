package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Idefics3's size helpers against an independent Python transcription of v4.51.3's
 * {@code get_resize_output_image_size} (le) and {@code resize_for_vision_encoder} (ve):
 * <pre>
 * def le(h, w, L):
 *     a = w / h
 *     if w &gt;= h: w = L; h = int(w / a); h += h % 2
 *     else: h = L; w = int(h * a); w += w % 2
 *     h, w = max(h, 1), max(w, 1)
 *     a = w / h
 *     if w &gt;= h and w &gt; 4096: w = 4096; h = int(w / a)
 *     elif h &gt; w and h &gt; 4096: h = 4096; w = int(h * a)
 *     return max(h, 1), max(w, 1)
 * def ve(h, w, M):
 *     a = w / h
 *     if w &gt;= h: w = math.ceil(w / M) * M; h = int(w / a); h = math.ceil(h / M) * M
 *     else: h = math.ceil(h / M) * M; w = int(h * a); w = math.ceil(w / M) * M
 *     return h, w
 * </pre>
 */
class Idefics3SizesTest {

    @ParameterizedTest(name = "{0}x{1} L{2} M{3}")
    @CsvSource({
        // h, w, longest_edge, tile, le height, le width, ve height, ve width
        "1080, 1920, 2048, 512, 1152, 2048, 1536, 2048", // SmolVLM's sizes: 3x4 tiles
        "1920, 1080, 2048, 512, 2048, 1152, 2048, 1536",
        "200, 333, 256, 64, 154, 256, 192, 256",         // the small-sizes fixture: 3x4 tiles
        "300, 64, 128, 64, 128, 28, 128, 64",            // odd side 27 bumped to 28
        "75, 100, 128, 64, 96, 128, 128, 128",
        "200, 333, 128, 64, 76, 128, 128, 128",
        "1, 5000, 2048, 512, 1, 2048, 512, 2048",        // degenerate ratio: the short side floors at 1
        "333, 333, 2048, 512, 2048, 2048, 2048, 2048",
        "100, 9000, 5000, 512, 45, 4096, 512, 4096",     // scaled below MAX_IMAGE_SIZE
        "777, 513, 1456, 364, 1456, 962, 1456, 1092",    // Idefics3's defaults
    })
    void matchesPython(int h, int w, int longest, int tile, int leH, int leW, int veH, int veW) {
        ImageSize resized = Idefics3Sizes.longestEdge(h, w, longest);
        assertEquals(new ImageSize(leH, leW), resized);
        assertEquals(new ImageSize(veH, veW), Idefics3Sizes.visionEncoder(resized.height(), resized.width(), tile));
    }
}
