package dev.casa.spark;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit main, run on the shared local[2] session (its {@code run}; {@code main} only adds the session). */
class CaptionJobTest {
    private static Map<String, String> args(String... a) {
        return CaptionJob.parse(a);
    }

    @Test
    void aGlobOfImagesBecomesJsonLinesWithDescribesAnswers(@TempDir Path tmp) {
        String out = tmp.resolve("captions").toString();
        CaptionJob.Summary s = CaptionJob.run(SparkTests.spark(), args("--input", SparkTests.heldoutDir() + "/colour_0*.png",
                "--model", SparkTests.modelDir().toString(), "--output", out, "--format", "jsonl"));
        assertEquals(10, s.rows());
        assertEquals(0, s.errors());
        var written = SparkTests.spark().read().json(out);
        assertFalse(Arrays.asList(written.columns()).contains("content"), "image bytes are not written");
        CasaModel m = SparkTests.oracle();
        for (Row r : written.collectAsList()) {
            Path file = Path.of(java.net.URI.create(r.<String>getAs("path")));
            assertEquals(m.describe(file, "Describe the image."), r.getAs("answer"), file.toString());
        }
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()));
    }

    @Test
    void foldersOfFramesAreVideosCaptionedInOneSessionEach(@TempDir Path tmp) throws IOException {
        // videos/<id>/<frame>: clip1 is the held-out frame sequence, clip2 two other pictures.
        Map<String, List<String>> videos = Map.of("clip1", List.of("sequence_0.png", "sequence_1.png", "sequence_2.png"),
                "clip2", List.of("count_02.png", "where_05.png"));
        for (var v : videos.entrySet()) {
            Path dir = Files.createDirectories(tmp.resolve("videos").resolve(v.getKey()));
            for (int i = 0; i < v.getValue().size(); i++) {
                Files.copy(SparkTests.heldoutDir().resolve(v.getValue().get(i)), dir.resolve(String.format("%04d.png", i)));
            }
        }
        String out = tmp.resolve("out").toString();
        CaptionJob.Summary s = CaptionJob.run(SparkTests.spark(), args("--input", tmp.resolve("videos") + "/*/*.png", "--video",
                "--fps", "2", "--model", SparkTests.modelDir().toString(), "--output", out, "--prompt", "How many circles are there?"));
        assertEquals(5, s.rows());
        List<Row> rows = new ArrayList<>(SparkTests.spark().read().parquet(out).collectAsList());
        rows.sort(Comparator.comparing((Row r) -> r.<String>getAs("video")).thenComparing(r -> r.<Double>getAs("timestamp")));
        CasaModel m = SparkTests.oracle();
        int i = 0;
        for (String v : List.of("clip1", "clip2")) {
            Session session = m.newSession();
            List<String> frames = videos.get(v);
            for (int f = 0; f < frames.size(); f++, i++) {
                Row r = rows.get(i);
                assertEquals(v, r.getAs("video"));
                assertEquals(f / 2.0, r.<Double>getAs("timestamp"), 0, "frame index / fps");
                session.addImage(ImageDecoder.decode(SparkTests.heldoutDir().resolve(frames.get(f))));
                String expected = session.ask("How many circles are there?", m.defaultGenerationOptions(), TokenListener.NONE).text().strip();
                assertEquals(expected, r.getAs("answer"), v + " frame " + f);
            }
        }
    }

    @Test
    void aModelShippedWithTheJobIsFoundByItsName() throws IOException {
        // What --files / --archives / addFile(dir, true) leave on an executor: the directory in SparkFiles' root.
        // (Shipping for real with addFile would stay registered in the shared session for the other tests.)
        Path shipped = Path.of(org.apache.spark.SparkFiles.getRootDirectory()).resolve("shipped-demo");
        Files.createDirectories(shipped);
        try (var files = Files.list(SparkTests.modelDir())) {
            for (Path f : files.toList()) Files.copy(f, shipped.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        CaptionJob.Summary s = CaptionJob.run(SparkTests.spark(), args("--input", SparkTests.heldoutDir() + "/count_0[12].png",
                "--model", "shipped-demo", "--output", "unused", "--format", "noop"));
        assertEquals(2, s.rows());
        assertEquals(0, s.errors());
        assertEquals(1, ExecutorModels.loads(shipped), "loaded once, from the shipped copy");
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        assertEquals("unknown option '--promt'", assertThrows(IllegalArgumentException.class, () -> args("--promt", "x")).getMessage());
        assertEquals("--output needs a value", assertThrows(IllegalArgumentException.class, () -> args("--output")).getMessage());
        assertEquals("--model given twice", assertThrows(IllegalArgumentException.class, () -> args("--model", "a", "--model", "b")).getMessage());
        assertEquals("give exactly one of --input GLOB or --table NAME", assertThrows(IllegalArgumentException.class,
                () -> CaptionJob.run(SparkTests.spark(), args("--output", "o", "--model", "m"))).getMessage());
        assertEquals("--format must be parquet, jsonl or noop, got 'csv'", assertThrows(IllegalArgumentException.class,
                () -> CaptionJob.run(SparkTests.spark(), args("--input", "x", "--output", "o", "--model", "m", "--format", "csv"))).getMessage());
        assertEquals("--partitions must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> CaptionJob.run(SparkTests.spark(), args("--input", "x", "--output", "o", "--model", "m", "--partitions", "0"))).getMessage());
    }
}
