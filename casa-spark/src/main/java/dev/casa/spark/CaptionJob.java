package dev.casa.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The spark-submit job: caption the images of a glob or a table (or the frames of videos) and write
 * Parquet or JSON lines. Run {@code --help} for the options. Under spark-submit the master is
 * spark-submit's; run with plain {@code java} (see {@code target/local.args}) it is {@code --master},
 * default {@code local[*]}.
 */
public final class CaptionJob {
    private CaptionJob() {}

    static final String USAGE = """
            usage: CaptionJob (--input GLOB | --table NAME) --model DIR --output PATH [options]
              --input GLOB          image files (read with the binaryFile source); with --video: frames in one folder per video
              --table NAME          a table (or view) with an image column (bytes or paths)
              --image-col COL       image column of --table (default content)
              --model DIR           model directory on every executor, or with --ship-model a local one to ship
              --ship-model          ship the model directory with the job (SparkContext.addFile)
              --prompt TEXT         the question for every image (default "Describe the image.")
              --prompt-col COL      a column of --table holding each row's prompt
              --output PATH         where to write (a directory)
              --format F            parquet (default), jsonl, or noop (run, write nothing: for timing)
              --overwrite           replace PATH if it exists
              --partitions N        spread the rows (images) or videos over N partitions (default 2 x parallelism)
              --video               caption videos: one session per video, frames in timestamp order
              --fps N               frames per second of --input frames (timestamp = index in name order / N; default 1)
              --video-col COL, --timestamp-col COL   the columns of a --table of frames (default video, timestamp)
              --max-session-tokens N                 session size per video (default the model's maximum)
              --max-new-tokens N, --temperature T, --top-k K, --top-p P, --min-p P, --repetition-penalty R, --seed S
              --quantize none|q8_0|q4_0, --threads N (kernel threads per executor; default from the executor's cores)
              --master URL          only without spark-submit (default local[*])
            """;

    private static final Set<String> FLAGS = Set.of("--ship-model", "--overwrite", "--video", "--help");

    public static void main(String[] args) {
        Map<String, String> opts;
        try {
            opts = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("casa-spark: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (opts.containsKey("--help")) {
            System.out.print(USAGE);
            return;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("casa-spark caption");
        if (opts.containsKey("--master")) builder.master(opts.get("--master"));
        else if (System.getProperty("spark.master") == null) builder.master("local[*]");
        SparkSession spark = builder.getOrCreate();
        int status = 0;
        try {
            Summary s = run(spark, opts);
            System.out.println(s);
        } catch (RuntimeException e) {
            System.err.println("casa-spark: " + rootMessage(e));
            status = 2;
        } finally {
            spark.stop();
        }
        if (status != 0) System.exit(status);
    }

    /** The innermost cause's message: a task's error arrives wrapped in Spark's job-failure exceptions. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse(m).strip();
    }

    /** What a run did: rows written, rows with an error, seconds. */
    record Summary(long rows, long errors, double seconds, String output) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d rows (%d with an error) in %.1f s (%.2f rows/s) -> %s",
                    rows, errors, seconds, rows / Math.max(seconds, 1e-9), output);
        }
    }

    /** {@code --key value} pairs and flags; a repeated or unknown option is an error. */
    static Map<String, String> parse(String[] args) {
        Set<String> valued = Set.of("--input", "--table", "--image-col", "--model", "--prompt", "--prompt-col", "--output",
                "--format", "--partitions", "--fps", "--video-col", "--timestamp-col", "--max-session-tokens",
                "--max-new-tokens", "--temperature", "--top-k", "--top-p", "--min-p", "--repetition-penalty", "--seed",
                "--quantize", "--threads", "--master");
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (FLAGS.contains(a)) {
                out.put(a, "true");
            } else if (valued.contains(a)) {
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                if (out.put(a, args[++i]) != null) throw new IllegalArgumentException(a + " given twice");
            } else {
                throw new IllegalArgumentException("unknown option '" + a + "'");
            }
        }
        return out;
    }

    /** Runs the job described by {@code opts} (see {@link #USAGE}) on {@code spark}. */
    static Summary run(SparkSession spark, Map<String, String> opts) {
        boolean video = opts.containsKey("--video");
        if (opts.containsKey("--input") == opts.containsKey("--table")) throw new IllegalArgumentException("give exactly one of --input GLOB or --table NAME");
        String output = require(opts, "--output");
        String format = opts.getOrDefault("--format", "parquet").toLowerCase(Locale.ROOT);
        if (!List.of("parquet", "jsonl", "noop").contains(format)) throw new IllegalArgumentException("--format must be parquet, jsonl or noop, got '" + format + "'");
        String model = require(opts, "--model");
        if (opts.containsKey("--ship-model")) {
            Path dir = Path.of(model).toAbsolutePath();
            if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--ship-model: " + dir + " is not a directory");
            spark.sparkContext().addFile(dir.toString(), true);
            model = dir.getFileName().toString();
        }
        int parallelism = spark.sparkContext().defaultParallelism();
        int partitions = opts.containsKey("--partitions") ? positive(opts, "--partitions") : 2 * parallelism;

        Dataset<Row> input;
        String imageCol;
        if (opts.containsKey("--input")) {
            input = spark.read().format("binaryFile").load(opts.get("--input")).drop("modificationTime", "length");
            imageCol = "content";
            if (opts.containsKey("--prompt-col") || opts.containsKey("--image-col")) {
                throw new IllegalArgumentException("--prompt-col and --image-col go with --table");
            }
        } else {
            input = spark.table(opts.get("--table"));
            imageCol = opts.getOrDefault("--image-col", "content");
        }

        Dataset<Row> out;
        long start = System.nanoTime();
        if (video) {
            CasaVideoCaptioner c = configure(new CasaVideoCaptioner(), opts, model, imageCol).setPartitions(partitions);
            if (opts.containsKey("--max-session-tokens")) c.setMaxSessionTokens(positive(opts, "--max-session-tokens"));
            if (opts.containsKey("--input")) {
                double fps = number(opts, "--fps", 1);
                if (!(fps > 0)) throw new IllegalArgumentException("--fps must be > 0, got " + fps);
                // videos/<video>/<frame>.png: the folder names the video, name order is time order.
                Column path = input.col("path");
                input = input.withColumn("video", functions.element_at(functions.split(path, "/"), -2))
                        .withColumn("timestamp", functions.row_number().over(Window.partitionBy("video").orderBy("path"))
                                .minus(1).cast(DataTypes.DoubleType).divide(fps));
            } else {
                c.setVideoCol(opts.getOrDefault("--video-col", "video")).setTimestampCol(opts.getOrDefault("--timestamp-col", "timestamp"));
            }
            out = c.transform(input);
        } else {
            CasaCaptioner c = configure(new CasaCaptioner(), opts, model, imageCol);
            out = c.transform(input.repartition(partitions));
        }
        // The image bytes stay behind: the output holds paths, ids and answers.
        if (Arrays.asList(out.schema().fieldNames()).contains(imageCol)
                && out.schema().apply(imageCol).dataType().equals(DataTypes.BinaryType)) {
            out = out.drop(imageCol);
        }
        SaveMode mode = opts.containsKey("--overwrite") ? SaveMode.Overwrite : SaveMode.ErrorIfExists;
        if (format.equals("noop")) {
            Row r = out.agg(functions.count(functions.lit(1)), functions.count(out.col(OutputColumns.ERROR))).first();
            return new Summary(r.getLong(0), r.getLong(1), (System.nanoTime() - start) / 1e9, "(noop)");
        }
        if (format.equals("jsonl")) {
            out.write().mode(mode).format("json").option("ignoreNullFields", "false").save(output);   // every key on every line
        } else {
            out.write().mode(mode).format("parquet").save(output);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Dataset<Row> written = spark.read().format(format.equals("jsonl") ? "json" : "parquet").load(output);
        Row r = written.agg(functions.count(functions.lit(1)), functions.count(written.col(OutputColumns.ERROR))).first();
        return new Summary(r.getLong(0), r.getLong(1), seconds, output);
    }

    private static <T extends CaptionerSettings<T>> T configure(T c, Map<String, String> opts, String model, String imageCol) {
        c.setModel(model).setImageCol(imageCol).setQuantize(opts.get("--quantize"));
        if (opts.containsKey("--prompt") && opts.containsKey("--prompt-col")) throw new IllegalArgumentException("give --prompt or --prompt-col, not both");
        if (opts.containsKey("--prompt")) c.setPrompt(opts.get("--prompt"));
        if (opts.containsKey("--prompt-col")) c.setPromptCol(opts.get("--prompt-col"));
        if (opts.containsKey("--threads")) c.setThreads(positive(opts, "--threads"));
        if (opts.containsKey("--max-new-tokens")) c.setMaxNewTokens(integer(opts, "--max-new-tokens"));
        if (opts.containsKey("--temperature")) c.setTemperature(number(opts, "--temperature", 0));
        if (opts.containsKey("--top-k")) c.setTopK(integer(opts, "--top-k"));
        if (opts.containsKey("--top-p")) c.setTopP(number(opts, "--top-p", 1));
        if (opts.containsKey("--min-p")) c.setMinP(number(opts, "--min-p", 0));
        if (opts.containsKey("--repetition-penalty")) c.setRepetitionPenalty(number(opts, "--repetition-penalty", 1));
        if (opts.containsKey("--seed")) c.setSeed(longValue(opts, "--seed"));
        return c;
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null || v.isBlank()) throw new IllegalArgumentException(key + " is required");
        return v;
    }

    private static int integer(Map<String, String> opts, String key) {
        try {
            return Integer.parseInt(opts.get(key).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + opts.get(key) + "'");
        }
    }

    private static int positive(Map<String, String> opts, String key) {
        int n = integer(opts, key);
        if (n < 1) throw new IllegalArgumentException(key + " must be >= 1, got " + n);
        return n;
    }

    private static long longValue(Map<String, String> opts, String key) {
        try {
            return Long.parseLong(opts.get(key).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + opts.get(key) + "'");
        }
    }

    private static double number(Map<String, String> opts, String key, double fallback) {
        String v = opts.get(key);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }
}
