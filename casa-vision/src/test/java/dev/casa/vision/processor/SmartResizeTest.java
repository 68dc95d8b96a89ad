package dev.casa.vision.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * smart_resize against an independent Python transcription of v4.51.3's function (run with CPython's
 * float semantics, {@code round} = half to even):
 * <pre>
 * def sr(h, w, f=28, mn=56*56, mx=28*28*1280):
 *     if h &lt; f or w &lt; f: return "too small"
 *     if max(h, w) / min(h, w) &gt; 200: return "ratio"
 *     hb, wb = round(h / f) * f, round(w / f) * f
 *     if hb * wb &gt; mx:
 *         b = math.sqrt(h * w / mx); hb, wb = math.floor(h / b / f) * f, math.floor(w / b / f) * f
 *     elif hb * wb &lt; mn:
 *         b = math.sqrt(mn / (h * w)); hb, wb = math.ceil(h * b / f) * f, math.ceil(w * b / f) * f
 *     return hb, wb
 * </pre>
 */
class SmartResizeTest {

    @ParameterizedTest(name = "{0}x{1} f{2} [{3}, {4}] -> {5}x{6}")
    @CsvSource({
        // height, width, factor, min, max, expected height, expected width    (python: sr(h, w, f, mn, mx))
        "75, 100, 28, 3136, 12845056, 84, 112",     // plain rounding
        "70, 126, 28, 3136, 1003520, 56, 112",      // 2.5 -> 2 and 4.5 -> 4: half to even (half up gives 84x140)
        "42, 98, 28, 3136, 1003520, 56, 112",       // 1.5 -> 2 and 3.5 -> 4
        "30, 40, 28, 3136, 12845056, 56, 84",       // min_pixels: ceil branch
        "28, 28, 28, 3136, 1003520, 56, 56",        // min_pixels from the smallest allowed image
        "200, 333, 28, 3136, 25088, 112, 196",      // max_pixels: floor branch
        "300, 64, 28, 3136, 25088, 308, 56",
        "256, 256, 28, 3136, 25088, 140, 140",
        "1080, 1920, 28, 3136, 12845056, 1092, 1932",
        "1080, 1920, 28, 3136, 1003520, 728, 1316", // HF's default max_pixels
        "4000, 3000, 28, 3136, 1003520, 1148, 840",
        "28, 5600, 28, 3136, 1003520, 28, 5600",    // aspect ratio exactly 200 is allowed
        "30, 40, 28, 3136, 3136, 56, 84",           // the ceil branch may exceed max_pixels; HF accepts it
        "1000, 1000, 32, 1024, 4096, 64, 64",       // another factor
    })
    void matchesPython(int h, int w, int factor, long min, long max, int eh, int ew) {
        assertEquals(new ImageSize(eh, ew), SmartResize.compute(h, w, factor, min, max));
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"27, 100", "100, 27", "1, 1"})
    void sideShorterThanFactorIsRejected(int h, int w) {
        ImageProcessingException e = assertThrows(ImageProcessingException.class,
                () -> SmartResize.compute(h, w, 28, 3136, 1003520));
        assertTrue(e.getMessage().contains("must be larger than factor:28"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"28, 5601", "5601, 28", "30, 9000"})
    void extremeAspectRatioIsRejected(int h, int w) {
        // python: 5601 / 28 = 200.03571428571428 > 200
        ImageProcessingException e = assertThrows(ImageProcessingException.class,
                () -> SmartResize.compute(h, w, 28, 3136, 1003520));
        assertTrue(e.getMessage().contains("aspect ratio must be smaller than 200"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"28, 5600"})
    void emptyResultIsRejected(int h, int w) {
        // python: sr(28, 5600, 28, 3136, 25088) = (0, 2240), which PIL then refuses
        ImageProcessingException e = assertThrows(ImageProcessingException.class,
                () -> SmartResize.compute(h, w, 28, 3136, 25088));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
    }
}
