package dev.casa.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross-check with the fixtures of the PyTorch/Pillow reference (models/fixtures, made by
 * models/reference/make_fixtures.py independently of this module): the `casa preprocess` files and the
 * pixels.npy of every model case must be reproduced bit for bit.
 */
class ReferenceFixturesTest {
    private static final Path FIXTURES = Path.of("..", "models", "fixtures").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    static Stream<Path[]> preprocessFiles() throws IOException {
        List<Path[]> cases = new ArrayList<>();
        for (Path config : list(FIXTURES.resolve("preprocess"))) {
            for (Path image : list(FIXTURES.resolve("images"))) {
                cases.add(new Path[] {config, image});
            }
        }
        assertFalse(cases.isEmpty(), "no reference preprocess fixtures under " + FIXTURES);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("preprocessFiles")
    void preprocessToolWritesTheReferenceNpy(Path configDir, Path image) throws IOException {
        Path out = tmp.resolve("pixels.npy");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = new PreprocessTool().run(configDir.resolve("preprocessor_config.json"), image, out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        assertArrayEquals(Files.readAllBytes(configDir.resolve(image.getFileName() + ".npy")), Files.readAllBytes(out));
    }

    static Stream<Path> requestsWithPixels() throws IOException {
        List<Path> cases = new ArrayList<>();
        for (Path model : list(FIXTURES)) {
            Path casesDir = model.resolve("cases");
            if (Files.isDirectory(casesDir)) {
                for (Path c : list(casesDir)) {
                    if (Files.exists(c.resolve("pixels.npy"))) {
                        cases.add(c);
                    }
                }
            }
        }
        assertFalse(cases.isEmpty(), "no reference model cases with pixels.npy under " + FIXTURES);
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requestsWithPixels")
    void batchMatchesReferencePixels(Path caseDir) throws IOException {
        PreprocessorConfig config = PreprocessorConfig.load(caseDir.resolve("../../preprocessor_config.json").normalize());
        JsonNode request = new ObjectMapper().readTree(caseDir.resolve("request.json").toFile());
        List<RgbImage> images = new ArrayList<>();
        for (JsonNode image : request.get("images")) {
            images.add(ImageDecoder.decode(caseDir.resolve(image.get("path").asText()).normalize()));
        }
        float[] actual = new ImagePreprocessor(config).preprocessBatch(images);
        float[] expected = readNpyFloats(caseDir.resolve("pixels.npy"));
        assertTrue(Arrays.equals(expected, actual), caseDir + ": pixels differ from the reference");
    }

    /** Data of a little-endian float32 NumPy v1 file (the header is checked for dtype only). */
    private static float[] readNpyFloats(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'<f4'") && header.contains("'fortran_order': False"), header);
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[data.remaining() / 4];
        data.asFloatBuffer().get(values);
        return values;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
