package dev.casa.cli;

import static dev.casa.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

import dev.casa.cli.CliRun.Result;
import dev.casa.core.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code casa forward} per forward-cli.md: reference logits on success; one line, exit 2, no file on bad input. */
class ForwardCliTest {
    private static final Path MODEL = FixturePaths.root().resolve("casa-f32-list-norope-bias");
    private static final Path CASE = MODEL.resolve("cases/three_windows");

    @TempDir
    Path tmp;

    @Test
    void writesTheReferenceLogitsAndPixels() throws IOException {
        Path out = tmp.resolve("logits.npy");
        Path pixels = tmp.resolve("pixels.npy");
        for (String mode : new String[] {"prefill", "decode"}) {
            Result r = run("forward", "--model", MODEL.toString(), "--request", CASE.resolve("request.json").toString(),
                    "--out", out.toString(), "--mode", mode, "--pixels-out", pixels.toString());
            assertEquals(0, r.status(), r.err());
            assertClose(Npy.read(CASE.resolve("logits.npy")).toFloats(), Npy.read(out).toFloats(), mode);
            assertArrayEquals(Npy.read(CASE.resolve("pixels.npy")).toFloats(), Npy.read(pixels).toFloats());
            assertArrayEquals(Npy.read(CASE.resolve("logits.npy")).shape(), Npy.read(out).shape());
        }
    }

    @Test
    void textRequestsAreEncodedWithTheModelsTokenizer() throws IOException {
        Path req = tmp.resolve("text.json");
        Files.writeString(req, "{\"text\": \"hello\"}");
        Result r = run("forward", "--model", MODEL.toString(), "--request", req.toString(), "--out", tmp.resolve("o.npy").toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(2, Npy.read(tmp.resolve("o.npy")).shape().length);
    }

    private void assertBadInput(String requestJson, String expectedInMessage) throws IOException {
        Path req = tmp.resolve("bad.json");
        Files.writeString(req, requestJson);
        Files.copy(FixturePaths.root().resolve("images/tiny_rgb_8x8.png"), tmp.resolve("img.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(tmp.resolve("notanimage.png"), "hello");
        Path out = tmp.resolve("never.npy");
        Result r = run("forward", "--model", MODEL.toString(), "--request", req.toString(), "--out", out.toString());
        assertEquals(2, r.status(), r.err());
        assertFalse(Files.exists(out), "no output file on error");
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(expectedInMessage), "message names the problem: " + r.err());
    }

    @Test
    void badRequestsFailWithOneLineAndNoOutput() throws IOException {
        assertBadInput("{\"tokens\": [1, 2,", "bad JSON");
        assertBadInput("{\"tokens\": [1, 99999]}", "99999");
        assertBadInput("{\"tokens\": [1, -3]}", "-3");
        assertBadInput("{\"tokens\": [1, 2], \"images\": [{\"path\": \"img.png\", \"insert_at\": 3}]}", "insert_at");
        assertBadInput("{\"tokens\": [1, 2, 3], \"images\": [{\"path\": \"img.png\", \"insert_at\": 2}, {\"path\": \"img.png\", \"insert_at\": 1}]}", "insert_at");
        assertBadInput("{\"tokens\": [1, 2], \"images\": [{\"path\": \"missing.png\", \"insert_at\": 1}]}", "missing.png");
        assertBadInput("{\"tokens\": [1, 2], \"images\": [{\"path\": \"notanimage.png\", \"insert_at\": 1}]}", "notanimage.png");
        assertBadInput("{\"images\": []}", "tokens");
        assertBadInput("[1, 2]", "object");
    }

    @Test
    void missingModelOrRequestFileIsBadInput() {
        Path out = tmp.resolve("x.npy");
        Result r = run("forward", "--model", tmp.resolve("nope").toString(), "--request", CASE.resolve("request.json").toString(), "--out", out.toString());
        assertEquals(2, r.status());
        assertFalse(Files.exists(out));
        r = run("forward", "--model", MODEL.toString(), "--request", tmp.resolve("nope.json").toString(), "--out", out.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("nope.json"), r.err());
        assertFalse(Files.exists(out));
    }

    /** Logits within 1e-3 relative to the largest reference value (as the e2e fixture tests). */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": logits size");
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        double tol = 1e-3 * Math.max(1, maxRef);
        org.junit.jupiter.api.Assertions.assertTrue(maxDiff <= tol, what + ": max |diff| " + maxDiff + " > " + tol);
    }
}
