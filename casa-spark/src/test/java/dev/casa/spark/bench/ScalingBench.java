package dev.casa.spark.bench;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.spark.CasaCaptioner;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Throughput of {@link CasaCaptioner} in one JVM: {@code local[1]} against {@code local[2]} (run each in
 * its own JVM), plus the same work without Spark on one thread, and the cold model load. Not a unit
 * test. The demo's 43 held-out images are repeated to {@code --rows} rows (bytes cached in memory, so
 * file reading is out), "Describe the image.", greedy; one warm-up pass, then {@code --repeats} timed
 * passes. Per pass: wall time, rows/s, the Spark overhead per row = (wall x task slots - sum of
 * the rows' own total_ms) / rows, the cores this JVM kept busy (process CPU time / wall time: on a
 * shared machine, what it actually got), and rows per CPU-second of the whole process (Spark's threads,
 * GC and JIT included): equal in local[1] and local[2] means the second task slot costs nothing extra,
 * so throughput follows the cores the executor actually gets.
 *
 * <pre>
 * java @casa-spark/target/bench.args dev.casa.spark.bench.ScalingBench local[1]
 * java @casa-spark/target/bench.args dev.casa.spark.bench.ScalingBench local[2]
 * </pre>
 */
public final class ScalingBench {
    public static void main(String[] args) throws IOException {
        String master = args.length > 0 ? args[0] : "local[2]";
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 344;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int partitions = 8;
        Path demo = findDemo();
        Path model = demo.resolve("model");
        List<byte[]> images = new ArrayList<>();
        try (Stream<Path> s = Files.list(demo.resolve("heldout"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".png")).sorted().toList()) images.add(Files.readAllBytes(p));
        }
        System.out.printf(Locale.ROOT, "ScalingBench %s, %d rows, %d partitions, %d cores seen, load average %s%n",
                master, rows, partitions, Runtime.getRuntime().availableProcessors(), loadAverage());

        // The model load an executor pays once: cold (first in this JVM) and warm.
        long t0 = System.nanoTime();
        CasaModel plain = CasaModel.load(model, new ThreadPool(1));
        double coldLoadMs = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        CasaModel.load(model, new ThreadPool(1)).close();
        double warmLoadMs = (System.nanoTime() - t0) / 1e6;
        System.out.printf(Locale.ROOT, "model load: cold %.0f ms, warm %.1f ms (weights %d bytes, memory-mapped)%n",
                coldLoadMs, warmLoadMs, Files.size(model.resolve("model.safetensors")));

        // The same rows without Spark, one thread: the per-core rate Spark's tasks are measured against.
        List<RgbImage> decoded = images.stream().map(ImageDecoder::decode).toList();
        for (RgbImage img : decoded) plain.describe(img, "Describe the image.");
        long plainCpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        t0 = System.nanoTime();
        long cache = 0;
        for (int i = 0; i < rows; i++) {
            Session s = plain.newSession();
            s.addImage(ImageDecoder.decode(images.get(i % images.size())));
            s.ask("Describe the image.", plain.defaultGenerationOptions(), TokenListener.NONE);
            cache = Math.max(cache, s.state().cacheBytes());
        }
        double plainS = (System.nanoTime() - t0) / 1e9;
        double plainCpu = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - plainCpu0) / 1e9;
        System.out.printf(Locale.ROOT, "plain JVM, 1 thread: %d rows in %.2f s = %.1f rows/s (%.1f ms/row); thread CPU %.1f ms/row "
                + "= %.1f rows per CPU-second; session cache %d bytes%n", rows, plainS, rows / plainS, plainS * 1e3 / rows,
                plainCpu * 1e3 / rows, rows / plainCpu, cache);
        plain.close();

        SparkSession spark = SparkSession.builder().master(master).appName("casa-spark ScalingBench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        int slots = spark.sparkContext().defaultParallelism();
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < rows; i++) data.add(RowFactory.create(i, images.get(i % images.size())));
        Dataset<Row> input = spark.createDataFrame(data, new StructType().add("id", DataTypes.IntegerType)
                .add("content", DataTypes.BinaryType)).repartition(partitions).cache();
        input.count();
        Dataset<Row> captions = new CasaCaptioner().setModel(model.toString()).setPrompt("Describe the image.").transform(input);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int pass = 0; pass <= repeats; pass++) {
            long cpu0 = os.getProcessCpuTime();
            t0 = System.nanoTime();
            Row r = captions.agg(functions.count(functions.lit(1)), functions.count(captions.col("error")),
                    functions.sum(captions.col("total_ms"))).first();
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            double busy = cpu / wall;
            double rowMs = r.getDouble(2);
            if (r.getLong(0) != rows || r.getLong(1) != 0) throw new IllegalStateException("bad pass: " + r);
            System.out.printf(Locale.ROOT, "%s %s pass %d: %d rows in %.2f s = %.1f rows/s; rows' own time %.1f ms/row; "
                            + "Spark overhead %.1f ms/row; cores busy %.2f; %.1f rows per CPU-second; load average %s%n",
                    master, pass == 0 ? "warm-up" : "timed", pass, rows, wall, rows / wall, rowMs / rows,
                    (wall * 1e3 * slots - rowMs) / rows, busy, rows / cpu, loadAverage());
        }
        spark.stop();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static Path findDemo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) return p.resolve("models/demo");
        }
        throw new IllegalStateException("run from the casa-java checkout: models/demo not found");
    }
}
