package dev.casa.spark;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * How many kernel threads an executor's model gets. An executor runs {@code cores / spark.task.cpus}
 * tasks at once, and every task thread computes its own rows and also joins the kernels it calls (the
 * caller works in {@link dev.casa.core.kernels.ThreadPool}). So the pool gets {@code cores - slots + 1}
 * threads: the task threads plus the pool's workers never exceed the executor's cores. With
 * {@code spark.task.cpus = 1} that is 1 (each task computes alone, Spark's parallelism is the rows);
 * with 4 cores per task on 16 cores it is 13 (4 callers + 12 shared workers).
 */
final class ExecutorThreads {
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\*|\\d+)(?:,\\s*\\d+)?]");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*]");

    private ExecutorThreads() {}

    /** Threads of the model's pool for an executor with {@code cores} cores and {@code taskCpus} per task. */
    static int poolThreads(int cores, int taskCpus) {
        int c = Math.max(1, cores);
        int slots = Math.max(1, c / Math.max(1, taskCpus));
        return Math.max(1, c - slots + 1);
    }

    /**
     * The executor's cores: {@code spark.executor.cores} if set, else what the master implies
     * ({@code local[N]}, {@code local[*]}, {@code local}, {@code local-cluster[n,cores,mem]}), else every
     * processor of the host (standalone's default: an executor takes the worker's cores).
     */
    static int executorCores(SparkConf conf, int availableProcessors) {
        if (conf.contains("spark.executor.cores")) return positive("spark.executor.cores", conf.get("spark.executor.cores"));
        String master = conf.get("spark.master", "").strip();
        if (master.equals("local")) return 1;
        Matcher m = LOCAL.matcher(master);
        if (m.matches()) return m.group(1).equals("*") ? availableProcessors : positive("spark.master", m.group(1));
        m = LOCAL_CLUSTER.matcher(master);
        if (m.matches()) return positive("spark.master", m.group(1));
        return availableProcessors;
    }

    static int taskCpus(SparkConf conf) {
        return positive("spark.task.cpus", conf.get("spark.task.cpus", "1"));
    }

    private static int positive(String key, String value) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(key + " must be a positive integer, got '" + value + "'");
    }
}
