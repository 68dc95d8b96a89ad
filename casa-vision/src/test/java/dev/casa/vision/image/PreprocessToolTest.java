package dev.casa.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code casa preprocess}: output byte-identical to NumPy's np.save of HF's pixel values; bad input → exit 2. */
class PreprocessToolTest {
    private static final Path CONFIG = ImageFixtures.DIR.resolve("imagenet_bilinear_40x56.json");
    private static final Path IMAGE = ImageFixtures.source("rgb_37x23.png");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    @Test
    void writesTheSameNpyAsNumpy() throws IOException {
        Path out = dir.resolve("pixels.npy");
        assertEquals(0, new PreprocessTool().run(CONFIG, IMAGE, out, err));
        assertArrayEquals(Files.readAllBytes(ImageFixtures.DIR.resolve("rgb_37x23.imagenet_bilinear_40x56.npy")),
                Files.readAllBytes(out));
        assertEquals("", errBytes.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(out), listDir());
    }

    @Test
    void replacesAnExistingOutput() throws IOException {
        Path out = Files.writeString(dir.resolve("pixels.npy"), "old");
        assertEquals(0, new PreprocessTool().run(CONFIG, IMAGE, out, err));
        assertEquals(128 + 4 * 3 * 40 * 56, Files.size(out));
    }

    @Test
    void missingImage() throws IOException {
        assertBadInput(CONFIG, dir.resolve("nope.png"), "no such file");
    }

    @Test
    void truncatedImage() throws IOException {
        byte[] png = Files.readAllBytes(ImageFixtures.source("rgb_scene_97x151.png"));
        Path truncated = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 3));
        assertBadInput(CONFIG, truncated, "corrupt or truncated");
    }

    @Test
    void textFileNamedJpg() throws IOException {
        Path fake = Files.writeString(dir.resolve("photo.jpg"), "hello\nworld\n");
        assertBadInput(CONFIG, fake, "not a PNG, JPEG, BMP or GIF image");
    }

    @Test
    void emptyImageFile() throws IOException {
        assertBadInput(CONFIG, Files.createFile(dir.resolve("empty.gif")), "empty file");
    }

    @Test
    void hugeImageHeader() throws IOException {
        Path huge = Files.write(dir.resolve("huge.png"), ImageDecoderTest.pngWithHeader(100_000, 100_000));
        assertBadInput(CONFIG, huge, "more than the limit");
    }

    @Test
    void badConfigJson() throws IOException {
        Path config = Files.writeString(dir.resolve("preprocessor_config.json"), "{\"size\": {\"height\": 3,\n");
        assertBadInput(config, IMAGE, "not valid JSON");
    }

    @Test
    void missingConfig() throws IOException {
        assertBadInput(dir.resolve("missing.json"), IMAGE, "file not found");
    }

    @Test
    void outputDirectoryMissing() throws IOException {
        Path out = dir.resolve("no/such/dir/pixels.npy");
        assertEquals(2, new PreprocessTool().run(CONFIG, IMAGE, out, err));
        assertOneLine("cannot write");
        assertFalse(Files.exists(out));
    }

    private void assertBadInput(Path config, Path image, String expected) throws IOException {
        List<Path> before = listDir();
        Path out = dir.resolve("pixels.npy");
        assertEquals(2, new PreprocessTool().run(config, image, out, err));
        assertOneLine(expected);
        assertFalse(Files.exists(out), "no output file on bad input");
        assertEquals(before, listDir(), "no temporary file left behind");
    }

    private void assertOneLine(String expected) {
        String text = errBytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\n") && text.indexOf('\n') == text.length() - 1, "one line: " + text);
        assertTrue(text.startsWith("casa preprocess: ") && text.contains(expected), text);
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
