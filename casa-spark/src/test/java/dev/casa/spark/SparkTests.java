package dev.casa.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * What the module's tests share: one local[2] SparkSession for the whole JVM (starting Spark is the
 * slow part), the bundled demo model, its held-out images, and the oracle: the same model loaded
 * directly with {@code CasaModel.load}, outside Spark and outside {@link ExecutorModels}.
 */
final class SparkTests {
    private SparkTests() {}

    private static final class Holder {
        static final SparkSession SPARK = SparkSession.builder()
                .master("local[2]")
                .appName("casa-spark tests")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.hadoop.fs.testfs.impl", TestFs.class.getName())
                .getOrCreate();
        static final CasaModel ORACLE = CasaModel.load(modelDir());
        static final JsonNode HELDOUT = readHeldout();
    }

    static SparkSession spark() { return Holder.SPARK; }

    /** The demo model as a plain JVM loads it (the oracle). */
    static CasaModel oracle() { return Holder.ORACLE; }

    static JsonNode heldout() { return Holder.HELDOUT; }

    static Path demo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("models/demo");
            if (Files.isDirectory(d.resolve("model"))) return d;
        }
        throw new IllegalStateException("models/demo not found above " + Path.of("").toAbsolutePath());
    }

    static Path modelDir() { return demo().resolve("model"); }

    static Path heldoutDir() { return demo().resolve("heldout"); }

    private static JsonNode readHeldout() {
        try {
            return new ObjectMapper().readTree(Files.readString(heldoutDir().resolve("heldout.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
