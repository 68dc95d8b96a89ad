package dev.casa.spark;

import static org.junit.jupiter.api.Assertions.*;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class ExecutorThreadsTest {
    @Test
    void thePoolPlusTheTaskThreadsFillTheCoresAndNoMore() {
        assertEquals(1, ExecutorThreads.poolThreads(2, 1));     // local[2]: two tasks, each computes alone
        assertEquals(1, ExecutorThreads.poolThreads(16, 1));
        assertEquals(13, ExecutorThreads.poolThreads(16, 4));   // 4 task threads + 12 workers
        assertEquals(16, ExecutorThreads.poolThreads(16, 16));  // one task owns the executor
        assertEquals(7, ExecutorThreads.poolThreads(8, 3));     // 2 slots (a core idles in Spark too) + 6 workers
        assertEquals(1, ExecutorThreads.poolThreads(0, 1));
        for (int cores = 1; cores <= 64; cores++) {
            for (int cpus = 1; cpus <= cores; cpus++) {
                int slots = cores / cpus;
                int threads = ExecutorThreads.poolThreads(cores, cpus);
                assertEquals(cores, slots + threads - 1, cores + " cores, " + cpus + " per task: task threads + workers");
            }
        }
    }

    @Test
    void theExecutorsCoresComeFromTheConfOrTheMaster() {
        assertEquals(6, ExecutorThreads.executorCores(new SparkConf(false).set("spark.executor.cores", "6").set("spark.master", "local[2]"), 32));
        assertEquals(3, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "local[3]"), 32));
        assertEquals(4, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "local[4, 2]"), 32));
        assertEquals(32, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "local[*]"), 32));
        assertEquals(1, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "local"), 32));
        assertEquals(3, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "local-cluster[2, 3, 1024]"), 32));
        assertEquals(32, ExecutorThreads.executorCores(new SparkConf(false).set("spark.master", "spark://host:7077"), 32));
        assertEquals(2, ExecutorThreads.taskCpus(new SparkConf(false).set("spark.task.cpus", "2")));
        assertEquals(1, ExecutorThreads.taskCpus(new SparkConf(false)));
        assertEquals("spark.executor.cores must be a positive integer, got 'many'", assertThrows(IllegalArgumentException.class,
                () -> ExecutorThreads.executorCores(new SparkConf(false).set("spark.executor.cores", "many"), 4)).getMessage());
    }
}
