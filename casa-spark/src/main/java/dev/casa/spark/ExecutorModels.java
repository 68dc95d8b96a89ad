package dev.casa.spark;

import dev.casa.CasaModel;
import dev.casa.LoadOptions;
import dev.casa.core.kernels.ThreadPool;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;

/**
 * The models of this JVM (an executor, or the driver in local mode): each model directory is loaded
 * once, memory-mapped, and shared by every task thread of the executor; each row gets its own session.
 * A model stays loaded for the life of the JVM (its pages are the OS page cache's, shared with other
 * JVMs on the host that map the same files).
 */
public final class ExecutorModels {
    private record Key(Path dir, String quantize, int threads) {}

    private static final ConcurrentHashMap<Key, Slot> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final ConcurrentHashMap<Path, AtomicInteger> LOADS_BY_DIR = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /** How many models this JVM has loaded (for tests and monitoring: one per directory per JVM). */
    public static int loads() { return LOADS.get(); }

    /** How many times this JVM has loaded the model directory {@code dir} (a shipped copy is another directory). */
    public static int loads(Path dir) {
        AtomicInteger n = LOADS_BY_DIR.get(dir.toAbsolutePath().normalize());
        return n == null ? 0 : n.get();
    }

    /** The model of {@code spec}, loaded by the first task that asks for it; the others wait for it. */
    static CasaModel get(ModelSpec spec) {
        requireVectorModule();
        Key key = new Key(spec.resolveDirectory(), spec.quantize(), spec.threads() > 0 ? spec.threads() : defaultThreads());
        return MODELS.computeIfAbsent(key, k -> new Slot()).get(key);
    }

    /** The kernel threads of a model loaded here: {@code -Dcasa.threads} if set, else sized from Spark's conf. */
    static int defaultThreads() {
        String prop = System.getProperty("casa.threads");
        int available = Runtime.getRuntime().availableProcessors();
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.strip());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("casa.threads must be a positive integer, got '" + prop + "'");
        }
        SparkEnv env = SparkEnv.get();
        if (env == null) return available;
        return ExecutorThreads.poolThreads(ExecutorThreads.executorCores(env.conf(), available), ExecutorThreads.taskCpus(env.conf()));
    }

    /** casa-java's kernels need the incubating Vector API; say so instead of failing with NoClassDefFoundError. */
    private static void requireVectorModule() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("this JVM on " + ModelSpec.host() + " runs without --add-modules jdk.incubator.vector, "
                    + "which casa-java needs: add it to spark.executor.extraJavaOptions and spark.driver.extraJavaOptions");
        }
    }

    /** One model, loaded once; a failed load is not remembered, so a later task retries it. */
    private static final class Slot {
        private CasaModel model;

        synchronized CasaModel get(Key key) {
            if (model == null) {
                ThreadPool pool = new ThreadPool(key.threads());
                try {
                    model = CasaModel.load(key.dir(), LoadOptions.defaults().withPool(pool).withQuantize(key.quantize()));
                } catch (RuntimeException | Error e) {
                    pool.close();
                    throw e;
                }
                LOADS.incrementAndGet();
                LOADS_BY_DIR.computeIfAbsent(key.dir(), d -> new AtomicInteger()).incrementAndGet();
            }
            return model;
        }
    }
}
