package dev.casa.cli;

import static dev.casa.cli.CliRun.withStdin;
import static org.junit.jupiter.api.Assertions.*;

import dev.casa.cli.CliRun.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user-facing commands on a fixture model: exit status, streamed output, one-line errors. */
class CliCommandsTest {
    @TempDir
    Path tmp;

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/fixtures"))) return p.resolve("models/fixtures");
        }
        throw new IllegalStateException("models/fixtures not found");
    }

    private static final Path MODEL = root().resolve("casa-f32-all");
    private static final Path IMAGE = root().resolve("images/shapes_p_33x33.png");

    @Test
    void describeStreamsAnAnswerAndStats() {
        Path demo = root().getParent().resolve("demo");
        Result r = withStdin("", "describe", "--model", demo.resolve("model").toString(), "--image", demo.resolve("example.png").toString(),
                "--max-new-tokens", "5", "--stats");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().endsWith("\n"));
        // the demo model's answer for its example (the shape generator's ground truth) starts so
        assertTrue(r.out().startsWith("a purple circle"), r.out());
        assertTrue(r.err().contains("prefill") && r.err().contains("decode"), r.err());
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        // A high temperature makes the draws matter: the same seed repeats the answer, other seeds give others.
        java.util.function.IntFunction<Result> sample = seed -> withStdin("", "describe", "--model", MODEL.toString(), "--image",
                IMAGE.toString(), "--max-new-tokens", "8", "--temperature", "3.0", "--seed", Integer.toString(seed));
        Result first = sample.apply(5), again = sample.apply(5);
        assertEquals(0, first.status(), first.err());
        assertEquals(0, again.status(), again.err());
        assertFalse(first.out().isBlank(), "an answer");
        assertEquals(first.out(), again.out());
        java.util.Set<String> answers = new java.util.HashSet<>();
        for (int seed = 1; seed <= 4; seed++) answers.add(sample.apply(seed).out());
        assertTrue(answers.size() > 1, "different seeds, different draws: " + answers);
        Result greedy = withStdin("", "describe", "--model", MODEL.toString(), "--image", IMAGE.toString(), "--max-new-tokens", "8");
        assertTrue(answers.stream().anyMatch(a -> !a.equals(greedy.out())), "sampling is not greedy decoding");
    }

    @Test
    void infoDescribesTheModel() {
        Result r = withStdin("", "info", "--model", MODEL.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("family:     casa format, CASA fusion"), r.out());
        assertTrue(r.out().contains("vision tower"), r.out());
        assertTrue(r.out().contains("total"), r.out());
    }

    private static Path demo() {
        return root().getParent().resolve("demo/model");
    }

    @Test
    void quantizeWritesADirectoryThatLoadsAndInfoShowsItsFormats() throws IOException {
        Path out = tmp.resolve("demo-q4");
        Result r = withStdin("", "quantize", "--model", demo().toString(), "--type", "q4_0", "--out", out.toString(), "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("quantized 48 matrices to Q4_0 (output head Q8_0); weights 4.7 MiB -> 964.0 KiB; wrote "), r.out());
        assertTrue(Files.exists(out.resolve("tokenizer.json")) && Files.exists(out.resolve("model.safetensors")));

        r = withStdin("", "info", "--model", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("params:     language model         697,216  (414.0 KiB: Q4_0 351.0 KiB, Q8_0 59.5 KiB, F32 3.5 KiB)"), r.out());
        assertTrue(r.out().contains("formats:    {F32=78912, Q4_0=1085440, Q8_0=57344} (parameters per format)"), r.out());

        r = withStdin("", "describe", "--model", out.toString(), "--image", root().getParent().resolve("demo/example.png").toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("a purple circle, an orange square and a green triangle on a grey background\n", r.out());

        r = withStdin("", "quantize", "--model", demo().toString(), "--type", "q8_0", "--out", out.toString());
        assertEquals(2, r.status());
        assertEquals("casa quantize: error: " + out + ": exists and is not an empty directory\n", r.err());
        r = withStdin("", "quantize", "--model", demo().toString(), "--type", "bf16", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.status());
        assertEquals("casa quantize: error: --type must be q8_0 or q4_0, got 'bf16'\n", r.err());
        r = withStdin("", "quantize", "--model", demo().toString(), "--out", tmp.resolve("x").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--type"), r.err());
    }

    @Test
    void quantizeOnLoadIsAFlagOfTheLoadingCommands() {
        Result r = withStdin("", "info", "--model", demo().toString(), "--quantize", "q8_0", "--quantize-exclude", "^vision_tower\\.");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("quantized:  q8_0 at load: 36 matrices; kept as stored: {EXCLUDED=12}"), r.out());
        assertTrue(r.out().contains("params:     vision tower           298,560  (1.1 MiB: F32 1.1 MiB)"), r.out());
        r = withStdin("", "describe", "--model", demo().toString(), "--image", root().getParent().resolve("demo/example.png").toString(),
                "--quantize", "q4_0");
        assertEquals(0, r.status(), r.err());
        assertEquals("a purple circle, an orange square and a green triangle on a grey background\n", r.out());
        r = withStdin("", "describe", "--model", demo().toString(), "--image", IMAGE.toString(), "--quantize", "int4");
        assertEquals(2, r.status());
        assertEquals("casa describe: error: quantize must be one of none, q8_0, q4_0; got 'int4'\n", r.err());
    }

    @Test
    void chatTakesImagesAndTurns() {
        Result r = withStdin("/image " + IMAGE + "\nwhat is it?\nand now?\n/quit\n", "chat", "--model", MODEL.toString(), "--max-new-tokens", "3");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("image added"), r.err());
        assertEquals(5, r.out().split("> ", -1).length, "a prompt before each of the four input lines: " + r.out());
    }

    @Test
    void captionWritesOneTimestampedCaptionPerFrameAndSrt() throws IOException {
        Path frames = Files.createDirectory(tmp.resolve("frames"));
        for (int i = 0; i < 3; i++) Files.copy(IMAGE, frames.resolve("f" + i + ".png"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(frames.resolve("notes.txt"), "not a frame");
        Path srt = tmp.resolve("out.srt");
        Result r = withStdin("", "caption", "--model", MODEL.toString(), "--frames", frames.toString(), "--fps", "2",
                "--max-new-tokens", "3", "--srt", srt.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("[00:00:00.000] "), r.out());
        assertTrue(r.out().contains("[00:00:01.000] "), r.out());
        String subtitles = Files.readString(srt);
        assertTrue(subtitles.startsWith("1\n00:00:00,000 --> 00:00:00,500\n"), subtitles);
        assertTrue(subtitles.contains("3\n00:00:01,000 --> 00:00:01,500\n"), subtitles);
    }

    @Test
    void errorsAreOneLineWithExitStatusTwo() {
        Result r = withStdin("", "describe", "--model", MODEL.toString(), "--image", tmp.resolve("missing.png").toString());
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("missing.png"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug");

        r = withStdin("", "describe", "--model", tmp.resolve("nomodel").toString(), "--image", IMAGE.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("nomodel"), r.err());

        r = withStdin("", "describe", "--model", MODEL.toString(), "--image", IMAGE.toString(), "--top-p", "7");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("top-p"), r.err());

        r = withStdin("", "describe", "--image", IMAGE.toString(), "--bogus");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--bogus"), r.err());

        r = withStdin("", "caption", "--model", MODEL.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--frames"), r.err());
    }

    @Test
    void debugAddsTheStackTrace() {
        Result r = withStdin("", "describe", "--debug", "--model", MODEL.toString(), "--image", tmp.resolve("missing.png").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void videoWithoutFfmpegSaysSo() throws IOException {
        boolean ffmpeg = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "ffmpeg")));
        org.junit.jupiter.api.Assumptions.assumeFalse(ffmpeg, "ffmpeg is installed: this checks the message when it is not");
        Path video = Files.writeString(tmp.resolve("clip.mp4"), "not really a video");
        Result r = withStdin("", "caption", "--model", MODEL.toString(), "--video", video.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("ffmpeg"), r.err());
    }
}
