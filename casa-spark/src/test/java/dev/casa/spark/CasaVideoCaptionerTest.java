package dev.casa.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The video transformation in local[2]: per video, the captions must be what one plain {@link Session}
 * gives when the same frames are added and asked in timestamp order (bad frames left out), down to the
 * session's cache size after each turn.
 */
class CasaVideoCaptionerTest {
    private static final StructType FRAMES = new StructType().add("video", DataTypes.StringType)
            .add("timestamp", DataTypes.DoubleType).add("content", DataTypes.BinaryType).add("question", DataTypes.StringType);

    /** A frame of the table: its image file (null: corrupt bytes), time and question. */
    private record Frame(String video, Double time, String image, String question) {}

    private static byte[] bytes(String image) {
        try {
            return image == null ? new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3} : Files.readAllBytes(SparkTests.heldoutDir().resolve(image));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String question(String id) {
        for (JsonNode item : SparkTests.heldout().get("items")) if (item.get("id").asText().equals(id)) return item.get("question").asText();
        throw new IllegalArgumentException(id);
    }

    private static List<Frame> threeVideos() {
        List<Frame> frames = new ArrayList<>();
        int t = 0;
        for (JsonNode turn : SparkTests.heldout().get("sequence").get("turns")) {
            frames.add(new Frame("A", (double) t++, turn.get("image").asText(), turn.get("question").asText()));
        }
        String[] b = {"colour_01", "count_03", "where_02", "describe_04"};
        for (int i = 0; i < b.length; i++) frames.add(new Frame("B", 10.0 * (i + 1), b[i] + ".png", question(b[i])));
        frames.add(new Frame("B", null, "colour_02.png", question("colour_02")));          // no timestamp: an error row
        frames.add(new Frame("C", 0.5, "describe_00.png", "Describe the image."));
        frames.add(new Frame("C", 1.5, null, "Describe the image."));                      // corrupt: an error row
        frames.add(new Frame("C", 2.5, "colour_05.png", question("colour_05")));
        frames.add(new Frame("C", 3.5, "count_07.png", question("count_07")));
        return frames;
    }

    private static Dataset<Row> table(List<Frame> frames) {
        List<Row> rows = new ArrayList<>();
        for (Frame f : frames) rows.add(RowFactory.create(f.video(), f.time(), bytes(f.image()), f.question()));
        Collections.shuffle(rows, new Random(7));   // the transformation must put frames in order itself
        return SparkTests.spark().createDataFrame(rows, FRAMES).repartition(3);
    }

    /** What one plain session says, frame after frame (bad frames skipped). */
    private record Expected(String answer, int promptTokens, int answerTokens, long cacheBytes) {}

    private static List<Expected> oracle(List<Frame> video, GenerationOptions options) {
        CasaModel m = SparkTests.oracle();
        Session s = m.newSession();
        List<Expected> out = new ArrayList<>();
        for (Frame f : video) {
            s.addImage(ImageDecoder.decode(SparkTests.heldoutDir().resolve(f.image())));
            GenerationResult r = s.ask(f.question(), options, TokenListener.NONE);
            out.add(new Expected(r.text().strip(), s.lastTurn().promptTokens(), r.tokens().length, s.state().cacheBytes()));
        }
        return out;
    }

    private static CasaVideoCaptioner captioner() {
        return new CasaVideoCaptioner().setModel(SparkTests.modelDir().toString()).setPromptCol("question").setPartitions(2);
    }

    @Test
    void threeVideosGetTheCaptionSequencesOfOneSessionEach() {
        List<Frame> frames = threeVideos();
        Dataset<Row> out = captioner().transform(table(frames));
        assertEquals(CasaVideoCaptioner.outputColumns(), List.of(out.columns()).subList(4, out.columns().length));
        Map<String, List<Row>> byVideo = new HashMap<>();
        for (Row r : out.drop("content").collectAsList()) byVideo.computeIfAbsent(r.getAs("video"), k -> new ArrayList<>()).add(r);
        assertEquals(3, byVideo.size());
        GenerationOptions options = SparkTests.oracle().defaultGenerationOptions();
        for (String v : List.of("A", "B", "C")) {
            List<Row> rows = byVideo.get(v);
            rows.sort(Comparator.comparing(r -> r.<Integer>getAs("frame_index")));
            List<Frame> video = frames.stream().filter(f -> f.video().equals(v)).toList();
            assertEquals(video.size(), rows.size(), v + ": every frame comes out");
            List<Frame> good = video.stream().filter(f -> f.time() != null && f.image() != null)
                    .sorted(Comparator.comparing(Frame::time)).toList();
            List<Expected> expected = oracle(good, options);
            int next = 0;
            Double lastTime = null;
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                assertEquals(i, (int) r.<Integer>getAs("frame_index"), v + ": frame index");
                Double time = r.getAs("timestamp");
                if (time != null && lastTime != null) assertTrue(time > lastTime, v + ": timestamp order");
                if (time != null) lastTime = time;
                if (r.getAs("error") != null) {
                    assertNull(r.getAs("answer"));
                    assertNull(r.getAs("session_index"));
                    continue;
                }
                Expected e = expected.get(next++);
                String what = v + " frame " + i;
                assertEquals(e.answer(), r.getAs("answer"), what + ": answer");
                assertEquals(e.promptTokens(), (int) r.<Integer>getAs("prompt_tokens"), what + ": prompt tokens");
                assertEquals(e.answerTokens(), (int) r.<Integer>getAs("answer_tokens"), what + ": answer tokens");
                assertEquals(e.cacheBytes(), (long) r.<Long>getAs("cache_bytes"), what + ": session cache bytes");
                assertEquals(0, (int) r.<Integer>getAs("session_index"), what + ": one session per video");
            }
            assertEquals(expected.size(), next, v + ": every good frame answered");
        }
        // The error rows say what was wrong.
        assertEquals("the timestamp is null", byVideo.get("B").get(0).getAs("error"));
        assertTrue(byVideo.get("C").get(1).<String>getAs("error").startsWith("image data: "), byVideo.get("C").get(1).<String>getAs("error"));
        // Video A is the held-out frame sequence: the PyTorch reference's answers too.
        List<String> reference = new ArrayList<>();
        for (JsonNode turn : SparkTests.heldout().get("sequence").get("turns")) reference.add(turn.get("answer").asText());
        assertEquals(reference, byVideo.get("A").stream().map(r -> r.<String>getAs("answer")).toList());
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()), "one model load in this JVM");
    }

    @Test
    void aFullSessionContinuesInAFreshOneAndTheTimelineIsInTimestampOrder() {
        // 30 cache entries hold one question and its answer, never two: every frame opens a fresh session,
        // so each answer is the one-turn answer of describe.
        String[] ids = {"colour_03", "count_01", "where_04", "colour_06", "count_08"};
        List<Row> rows = new ArrayList<>();
        for (int i = ids.length - 1; i >= 0; i--) {
            rows.add(RowFactory.create("R", (double) i, bytes(ids[i] + ".png"), question(ids[i])));
        }
        Dataset<Row> captions = captioner().setMaxSessionTokens(30).setMaxNewTokens(12)
                .transform(SparkTests.spark().createDataFrame(rows, FRAMES));
        List<Row> out = new ArrayList<>(captions.drop("content").collectAsList());
        out.sort(Comparator.comparing(r -> r.<Integer>getAs("frame_index")));
        CasaModel m = SparkTests.oracle();
        GenerationOptions options = m.defaultGenerationOptions().withMaxNewTokens(12);
        for (int i = 0; i < ids.length; i++) {
            Row r = out.get(i);
            assertNull(r.getAs("error"), ids[i]);
            assertEquals(i, (int) r.<Integer>getAs("session_index"), ids[i] + ": a fresh session for every frame");
            String describe = m.describe(ImageDecoder.decode(SparkTests.heldoutDir().resolve(ids[i] + ".png")), question(ids[i]),
                    options, TokenListener.NONE).text().strip();
            assertEquals(describe, r.getAs("answer"), ids[i]);
        }
        List<Row> timeline = new CasaVideoCaptioner().timeline(captions).collectAsList();
        assertEquals(1, timeline.size());
        assertEquals("R", timeline.get(0).getAs("video"));
        List<Row> entries = timeline.get(0).getList(1);
        assertEquals(ids.length, entries.size());
        for (int i = 0; i < ids.length; i++) {
            assertEquals((double) i, entries.get(i).getDouble(0), "timestamp order");
            assertEquals(out.get(i).<String>getAs("answer"), entries.get(i).getString(2));
        }
        assertEquals(1, ExecutorModels.loads(SparkTests.modelDir()), "one model load in this JVM");
    }

    @Test
    void setupMistakesAreReportedOnTheDriver() {
        Dataset<Row> df = SparkTests.spark().createDataFrame(List.of(), FRAMES);
        assertEquals("video column 'clip' is not in the input; its columns are [video, timestamp, content, question]",
                assertThrows(IllegalArgumentException.class, () -> captioner().setVideoCol("clip").transform(df)).getMessage());
        assertEquals("timestamp column 'time' is not in the input; its columns are [video, timestamp, content, question]",
                assertThrows(IllegalArgumentException.class, () -> captioner().setTimestampCol("time").transform(df)).getMessage());
    }
}
