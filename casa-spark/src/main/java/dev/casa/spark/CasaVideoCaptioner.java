package dev.casa.spark;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.vision.image.RgbImage;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;

/**
 * Captions video archives: a frame table (a video id, a timestamp, an image per row) becomes the same
 * rows with the columns of {@link CasaCaptioner} plus {@code frame_index} (the frame's place in its video
 * by timestamp), {@code session_index} and {@code cache_bytes}. The frames of a video are asked, in
 * timestamp order, in one CASA session: each frame opens a new window and earlier frames leave no image
 * keys, so a video's memory is its text plus one frame, however long the video.
 *
 * <p>The text of a long video fills the session ({@link #setMaxSessionTokens}, default the model's
 * {@code max_position_embeddings}); before a turn that might not fit (the last prompt's tokens plus
 * {@code max_new_tokens} + 1), the video continues in a fresh session and {@code session_index} counts
 * up. A frame that fails (an undecodable image, a null id or timestamp) gets an error row and does not
 * enter the session; a turn that fails after its image was decoded ends the session, and the next frame
 * starts a fresh one. Each video is one task's work, so the parallelism is the number of videos.
 * {@link #timeline} gathers the captions per video.
 */
public final class CasaVideoCaptioner extends CaptionerSettings<CasaVideoCaptioner> {
    private String videoCol = "video";
    private String timestampCol = "timestamp";
    private int maxSessionTokens;
    private int partitions;

    /** The column identifying a frame's video (default {@code video}). */
    public CasaVideoCaptioner setVideoCol(String column) { this.videoCol = requireName(column, "video column"); return this; }

    /** The column ordering a video's frames (any orderable type; default {@code timestamp}). */
    public CasaVideoCaptioner setTimestampCol(String column) { this.timestampCol = requireName(column, "timestamp column"); return this; }

    /** Cache entries of a video's session (0, the default: the model's max_position_embeddings). */
    public CasaVideoCaptioner setMaxSessionTokens(int tokens) {
        if (tokens < 0) throw new IllegalArgumentException("max session tokens must be >= 0, got " + tokens);
        this.maxSessionTokens = tokens;
        return this;
    }

    /** Partitions the videos are spread over (0, the default: spark.sql.shuffle.partitions). */
    public CasaVideoCaptioner setPartitions(int n) {
        if (n < 0) throw new IllegalArgumentException("partitions must be >= 0, got " + n);
        this.partitions = n;
        return this;
    }

    public String getVideoCol() { return videoCol; }
    public String getTimestampCol() { return timestampCol; }

    /** The names of the appended columns, in order. */
    public static List<String> outputColumns() {
        return OutputColumns.names(OutputColumns.VIDEO);
    }

    /** The frames with their captions appended, grouped by video and in timestamp order within a partition. */
    public Dataset<Row> transform(Dataset<Row> input) {
        ModelSpec spec = modelSpec();
        Inputs in = inputs(input);
        StructType schema = input.schema();
        int video = index(schema, videoCol, "video column");
        int time = index(schema, timestampCol, "timestamp column");
        DataType t = schema.fields()[time].dataType();
        if (t instanceof MapType || t instanceof ArrayType || t instanceof StructType) {
            throw new IllegalArgumentException("timestamp column '" + timestampCol + "' is " + t.simpleString() + ": expected a number, timestamp or string");
        }
        StructType out = OutputColumns.append(schema, OutputColumns.VIDEO);
        Column v = input.col(videoCol);
        Dataset<Row> byVideo = (partitions > 0 ? input.repartition(partitions, v) : input.repartition(v))
                .sortWithinPartitions(v, input.col(timestampCol));
        return byVideo.mapPartitions(new Partition(spec, getGeneration(), in, video, time, maxSessionTokens, schema.size()),
                Encoders.row(out));
    }

    /**
     * One row per video: {@code video} and {@code captions}, an array of
     * {@code (timestamp, frame_index, caption, error)} structs in timestamp order.
     */
    public Dataset<Row> timeline(Dataset<Row> captions) {
        Column frame = functions.struct(captions.col(timestampCol).as("timestamp"), captions.col(OutputColumns.FRAME_INDEX),
                captions.col(OutputColumns.ANSWER).as("caption"), captions.col(OutputColumns.ERROR));
        return captions.groupBy(captions.col(videoCol).as("video"))
                .agg(functions.sort_array(functions.collect_list(frame)).as("captions"));
    }

    private record Partition(ModelSpec spec, GenerationSettings generation, Inputs in, int video, int time,
                             int maxSessionTokens, int width) implements MapPartitionsFunction<Row, Row> {

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Frames(rows);
        }

        /** Walks the sorted rows; a change of video id starts the next video. */
        private final class Frames implements Iterator<Row> {
            private final Iterator<Row> rows;
            private CasaModel model;
            private GenerationOptions options;
            private boolean started;
            private Object currentVideo;
            private int frameIndex;
            private int sessionIndex;
            private Session session;
            private int lastPromptTokens;

            Frames(Iterator<Row> rows) { this.rows = rows; }

            @Override
            public boolean hasNext() { return rows.hasNext(); }

            @Override
            public Row next() {
                Row row = rows.next();
                if (model == null) {
                    model = ExecutorModels.get(spec);
                    options = generation.apply(model.defaultGenerationOptions());
                }
                Object id = row.get(video);
                if (!started || !Objects.deepEquals(id, currentVideo)) {
                    started = true;
                    currentVideo = id;
                    frameIndex = 0;
                    sessionIndex = -1;
                    session = null;
                }
                int index = frameIndex++;
                long start = System.nanoTime();
                Turn turn;
                Integer sessionCol = null;
                Long cacheBytes = null;
                try {
                    if (id == null) throw new IllegalArgumentException("the video id is null");
                    if (row.isNullAt(time)) throw new IllegalArgumentException("the timestamp is null");
                    RgbImage image = ImageSource.read(in.image(row));
                    long read = System.nanoTime() - start;
                    String prompt = in.prompt(row);
                    if (prompt == null) throw new IllegalArgumentException("the prompt is null");
                    turn = ask(image, prompt, start, read);
                    sessionCol = sessionIndex;
                    cacheBytes = session.state().cacheBytes();
                } catch (RuntimeException e) {
                    turn = Turn.failed(e, start);
                }
                Object[] added = turn.values();
                Object[] values = new Object[width + added.length + 3];
                for (int i = 0; i < width; i++) values[i] = row.get(i);
                System.arraycopy(added, 0, values, width, added.length);
                values[width + added.length] = index;
                values[width + added.length + 1] = sessionCol;
                values[width + added.length + 2] = cacheBytes;
                return RowFactory.create(values);
            }

            private Turn ask(RgbImage image, String prompt, long start, long read) {
                if (session == null || !roomForAnotherTurn()) newSession();
                try {
                    Turn t = Turn.ask(session, image, prompt, options, start, read);
                    lastPromptTokens = t.promptTokens();
                    return t;
                } catch (CacheOverflowException full) {
                    // The turn did not fit after all (a longer prompt than the last): once more, in a fresh session.
                    newSession();
                    return retry(image, prompt, start, read);
                } catch (RuntimeException e) {
                    session = null;   // the session may hold the failed turn's image: the next frame starts afresh
                    throw e;
                }
            }

            private Turn retry(RgbImage image, String prompt, long start, long read) {
                try {
                    Turn t = Turn.ask(session, image, prompt, options, start, read);
                    lastPromptTokens = t.promptTokens();
                    return t;
                } catch (RuntimeException e) {
                    session = null;
                    throw e;
                }
            }

            private void newSession() {
                session = maxSessionTokens > 0 ? model.newSession(maxSessionTokens) : model.newSession();
                sessionIndex++;
                lastPromptTokens = 0;
            }

            /** Whether the next turn fits: as many prompt tokens as the last turn's, the longest answer and its stop token. */
            private boolean roomForAnotherTurn() {
                int free = session.state().capacity() - session.state().selfAttentionKvEntries();
                return free >= lastPromptTokens + options.maxNewTokens() + 1;
            }
        }
    }
}
