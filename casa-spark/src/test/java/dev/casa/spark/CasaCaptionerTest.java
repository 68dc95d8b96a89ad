package dev.casa.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image transformation in local[2] against the oracle: the same model loaded in this JVM without
 * Spark, answering each row's image and prompt with {@code CasaModel.describe} (and, where the held-out
 * set has them, the PyTorch reference's answers).
 */
class CasaCaptionerTest {

    /** What the plain library says about one image and prompt. */
    private record Expected(String answer, int promptTokens, int answerTokens, String stopReason) {}

    private static Expected describe(Path image, String prompt) {
        CasaModel m = SparkTests.oracle();
        Session s = m.newSession();
        s.addImage(ImageDecoder.decode(image));
        GenerationResult r = s.ask(prompt, m.defaultGenerationOptions(), TokenListener.NONE);
        // CasaModel.describe is exactly this (a fresh session, one turn); check that too.
        GenerationResult d = m.describe(ImageDecoder.decode(image), prompt, m.defaultGenerationOptions(), TokenListener.NONE);
        assertArrayEquals(d.tokens(), r.tokens());
        return new Expected(r.text().strip(), s.lastTurn().promptTokens(), r.tokens().length, r.stopReason().name());
    }

    private static void assertAnswered(Row row, Expected e, String what) {
        assertNull(row.getAs("error"), what + ": error");
        assertEquals(e.answer(), row.getAs("answer"), what + ": answer");
        assertEquals(e.promptTokens(), (int) row.<Integer>getAs("prompt_tokens"), what + ": prompt tokens");
        assertEquals(e.answerTokens(), (int) row.<Integer>getAs("answer_tokens"), what + ": answer tokens");
        assertEquals(e.stopReason(), row.getAs("stop_reason"), what + ": stop reason");
        for (String t : List.of("read_ms", "vision_ms", "prefill_ms", "decode_ms", "total_ms")) {
            double ms = row.<Double>getAs(t);
            assertTrue(ms >= 0 && ms <= row.<Double>getAs("total_ms"), what + ": " + t + " = " + ms);
        }
    }

    @Test
    void binaryFileImagesGetTheAnswersOfDescribeRowByRow() {
        Dataset<Row> images = SparkTests.spark().read().format("binaryFile").load(SparkTests.heldoutDir() + "/*.png")
                .repartition(4);
        Dataset<Row> out = new CasaCaptioner().setModel(SparkTests.modelDir().toString()).setPrompt("Describe the image.")
                .transform(images);
        assertEquals(List.of("path", "modificationTime", "length", "content"), Arrays.asList(out.columns()).subList(0, 4));
        assertEquals(CasaCaptioner.outputColumns(), Arrays.asList(out.columns()).subList(4, out.columns().length));
        List<Row> rows = out.drop("content").collectAsList();
        assertEquals(43, rows.size());
        for (Row row : rows) {
            Path file = Path.of(java.net.URI.create(row.<String>getAs("path")));
            assertAnswered(row, describe(file, "Describe the image."), file.getFileName().toString());
        }
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()), "one model load in this JVM");
    }

    @Test
    void pathsWithAPromptColumnGetDescribesAnswersAndThePyTorchReferences() {
        List<Row> input = new ArrayList<>();
        Map<String, JsonNode> items = new HashMap<>();
        for (JsonNode item : SparkTests.heldout().get("items")) {
            String id = item.get("id").asText();
            items.put(id, item);
            input.add(RowFactory.create(id, SparkTests.heldoutDir().resolve(item.get("image").asText()).toString(), item.get("question").asText()));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.StringType).add("question", DataTypes.StringType);
        Dataset<Row> df = SparkTests.spark().createDataFrame(input, schema).repartition(3);
        List<Row> rows = new CasaCaptioner().setModel(SparkTests.modelDir().toString()).setImageCol("image").setPromptCol("question")
                .setMaxNewTokens(32).transform(df).collectAsList();
        assertEquals(items.size(), rows.size());
        for (Row row : rows) {
            JsonNode item = items.get(row.<String>getAs("id"));
            String question = item.get("question").asText();
            assertAnswered(row, describe(Path.of(row.<String>getAs("image")), question), item.get("id").asText());
            assertEquals(item.get("answer").asText(), row.getAs("answer"), item.get("id") + ": the PyTorch reference's answer");
        }
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()), "one model load in this JVM");
        assertEquals(1, ExecutorModels.get(new ModelSpec(SparkTests.modelDir().toString(), null, 0)).pool().threads(),
                "local[2], one cpu per task: each task computes alone");
    }

    /**
     * quantize q4_0: each executor loads the model quantized, once, and answers as the library does with the same
     * load options (the oracle, outside Spark). A copy of the demo directory keeps the other tests' one-load count.
     */
    @Test
    void quantizeLoadsTheModelQuantizedOnTheExecutorsAsTheLibraryDoes(@TempDir Path tmp) throws IOException {
        Path copy = Files.createDirectory(tmp.resolve("demo-copy"));
        try (var files = Files.list(SparkTests.modelDir())) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        List<Row> input = new ArrayList<>();
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode item : SparkTests.heldout().get("items")) {
            if (items.size() == 6) break;
            items.add(item);
            input.add(RowFactory.create(item.get("id").asText(), SparkTests.heldoutDir().resolve(item.get("image").asText()).toString(),
                    item.get("question").asText()));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.StringType).add("question", DataTypes.StringType);
        Map<String, Row> byId = byId(new CasaCaptioner().setModel(copy.toString()).setQuantize("q4_0").setImageCol("image")
                .setPromptCol("question").transform(SparkTests.spark().createDataFrame(input, schema).repartition(2)));
        try (CasaModel oracle = CasaModel.load(copy, dev.casa.LoadOptions.defaults().withQuantize(dev.casa.Quantization.Q4_0))) {
            for (JsonNode item : items) {
                Session s = oracle.newSession();
                s.addImage(ImageDecoder.decode(SparkTests.heldoutDir().resolve(item.get("image").asText())));
                GenerationResult r = s.ask(item.get("question").asText(), oracle.defaultGenerationOptions(), TokenListener.NONE);
                assertAnswered(byId.get(item.get("id").asText()),
                        new Expected(r.text().strip(), s.lastTurn().promptTokens(), r.tokens().length, r.stopReason().name()),
                        item.get("id").asText());
            }
        }
        assertEquals(1, ExecutorModels.loads(copy), "one model load in this JVM");
        assertEquals(dev.casa.Quantization.Q4_0, ExecutorModels.get(new ModelSpec(copy.toString(), "Q4_0", 1)).quantization());
    }

    @Test
    void badRowsGetAnErrorAndTheJobGoesOn(@TempDir Path tmp) throws IOException {
        Path good = SparkTests.heldoutDir().resolve("colour_00.png");
        byte[] png = Files.readAllBytes(good);
        Path garbage = Files.write(tmp.resolve("garbage.png"), "not an image at all".getBytes());
        byte[] truncated = Arrays.copyOf(png, png.length / 2);
        byte[] corrupt = png.clone();   // a PNG signature and header, then noise where the chunks were
        for (int i = 40; i < corrupt.length; i++) corrupt[i] = (byte) (i * 31);
        String q = "What colour is the square?";

        StructType bytesSchema = new StructType().add("id", DataTypes.StringType).add("content", DataTypes.BinaryType)
                .add("prompt", DataTypes.StringType);
        List<Row> bytesRows = List.of(
                RowFactory.create("good", png, q),
                RowFactory.create("corrupt", corrupt, q),
                RowFactory.create("truncated", truncated, q),
                RowFactory.create("empty", new byte[0], q),
                RowFactory.create("null image", null, q),
                RowFactory.create("null prompt", png, null),
                RowFactory.create("good again", png, q));
        Map<String, Row> byId = byId(new CasaCaptioner().setModel(SparkTests.modelDir().toString()).setPromptCol("prompt")
                .transform(SparkTests.spark().createDataFrame(bytesRows, bytesSchema).repartition(2)).drop("content"));
        assertEquals(7, byId.size(), "every row comes out");
        Expected e = describe(good, q);
        assertAnswered(byId.get("good"), e, "good");
        assertAnswered(byId.get("good again"), e, "good again");
        assertError(byId.get("corrupt"), "image data: ");
        assertError(byId.get("truncated"), "image data: corrupt or truncated PNG");
        assertError(byId.get("empty"), "image data: empty file (0 bytes), not an image");
        assertError(byId.get("null image"), "the image cell is null");
        assertError(byId.get("null prompt"), "the prompt is null");

        StructType pathSchema = new StructType().add("id", DataTypes.StringType).add("path", DataTypes.StringType);
        Path missing = tmp.resolve("missing.png");
        List<Row> pathRows = List.of(
                RowFactory.create("good", good.toString()),
                RowFactory.create("good uri", good.toUri().toString()),
                RowFactory.create("missing", missing.toString()),
                RowFactory.create("missing uri", missing.toUri().toString()),
                RowFactory.create("garbage", garbage.toString()),
                RowFactory.create("blank", " "),
                RowFactory.create("hadoop", "testfs://" + good.toAbsolutePath()),
                RowFactory.create("hadoop missing", "testfs://" + missing.toAbsolutePath()),
                RowFactory.create("hadoop garbage", "testfs://" + garbage.toAbsolutePath()));
        byId = byId(new CasaCaptioner().setModel(SparkTests.modelDir().toString()).setImageCol("path").setPrompt(q)
                .transform(SparkTests.spark().createDataFrame(pathRows, pathSchema)));
        assertEquals(9, byId.size());
        assertAnswered(byId.get("good"), e, "good path");
        assertAnswered(byId.get("good uri"), e, "good file: URI");
        assertError(byId.get("missing"), "image " + missing + ": no such file");
        assertError(byId.get("missing uri"), "image " + missing + ": no such file");
        assertError(byId.get("garbage"), garbage + ": not a PNG, JPEG, BMP or GIF");
        assertError(byId.get("blank"), "the image path is empty");
        // Other schemes go through Hadoop's FileSystem (here the local one under "testfs:").
        assertAnswered(byId.get("hadoop"), e, "good testfs: path");
        assertError(byId.get("hadoop missing"), "image testfs://" + missing.toAbsolutePath() + ": no such file");
        assertError(byId.get("hadoop garbage"), "testfs://" + garbage.toAbsolutePath() + ": not a PNG, JPEG, BMP or GIF");
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()), "one model load in this JVM");
    }

    private static Map<String, Row> byId(Dataset<Row> df) {
        Map<String, Row> out = new HashMap<>();
        for (Row r : df.collectAsList()) assertNull(out.put(r.getAs("id"), r), "duplicate " + r.getAs("id"));
        return out;
    }

    private static void assertError(Row row, String expectedStart) {
        String error = row.getAs("error");
        assertNotNull(error, row.getAs("id") + ": expected an error");
        assertTrue(error.startsWith(expectedStart), row.getAs("id") + ": error '" + error + "' should start with '" + expectedStart + "'");
        assertFalse(error.contains("\n"), "one line");
        assertNull(row.getAs("answer"));
        assertNull(row.getAs("prompt_tokens"));
        assertTrue(row.<Double>getAs("total_ms") >= 0);
    }

    @Test
    void mistakesInTheSetupFailOnTheDriverBeforeAnyTask() {
        Dataset<Row> df = SparkTests.spark().createDataFrame(List.of(RowFactory.create(1, "x.png", "a")),
                new StructType().add("n", DataTypes.IntegerType).add("path", DataTypes.StringType).add("answer", DataTypes.StringType));
        String model = SparkTests.modelDir().toString();
        assertMessage("image column 'content' is not in the input; its columns are [n, path, answer]",
                () -> new CasaCaptioner().setModel(model).transform(df));
        assertMessage("image column 'n' is int: expected binary (image bytes, e.g. binaryFile's content) or string (a path or URI)",
                () -> new CasaCaptioner().setModel(model).setImageCol("n").transform(df));
        assertMessage("prompt column 'n' is int: expected string",
                () -> new CasaCaptioner().setModel(model).setImageCol("path").setPromptCol("n").transform(df));
        assertMessage("the input already has a column 'answer', which the captioner adds: rename or drop it first",
                () -> new CasaCaptioner().setModel(model).setImageCol("path").transform(df));
        assertMessage("no model: set the model directory (setModel)",
                () -> new CasaCaptioner().setImageCol("path").transform(df.drop("answer")));
        assertMessage("quantize must be one of none, q8_0, q4_0; got 'int3'", () -> new CasaCaptioner().setQuantize("int3"));
        assertEquals("q8_0", new CasaCaptioner().setQuantize(" Q8_0").getQuantize());
        assertEquals("none", new CasaCaptioner().setQuantize(null).getQuantize());
        assertMessage("top-p must be in (0, 1], got 2.0", () -> new CasaCaptioner().setTopP(2));
        assertMessage("max new tokens must be >= 0, got -1", () -> new CasaCaptioner().setMaxNewTokens(-1));
    }

    @Test
    void aModelDirectoryThatNoExecutorHasFailsTheJobNamingIt(@TempDir Path tmp) {
        Dataset<Row> df = SparkTests.spark().createDataFrame(List.of(RowFactory.create("x.png")), new StructType().add("path", DataTypes.StringType));
        String missing = tmp.resolve("no-model").toString();
        int loads = ExecutorModels.loads();  // every directory
        Exception e = assertThrows(Exception.class,
                () -> new CasaCaptioner().setModel(missing).setImageCol("path").transform(df).collectAsList());
        assertTrue(CaptionJob.rootMessage(e).startsWith("model directory '" + missing + "' not found on host "), CaptionJob.rootMessage(e));
        assertEquals(loads, ExecutorModels.loads(), "nothing was loaded");
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
