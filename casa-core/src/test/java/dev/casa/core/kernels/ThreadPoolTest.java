package dev.casa.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ThreadPoolTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void parallelForCoversTheRangeExactlyOnceInContiguousChunks(int threads) {
        try (ThreadPool pool = new ThreadPool(threads)) {
            for (int n : new int[] {0, 1, 2, 3, 7, 1000, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                AtomicIntegerArray calls = new AtomicIntegerArray(1);
                pool.parallelFor(n, (start, end) -> {
                    assertTrue(start < end && start >= 0 && end <= n, start + ".." + end);
                    calls.incrementAndGet(0);
                    for (int i = start; i < end; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " index " + i);
                assertEquals(Math.min(n, threads), calls.get(0), "chunks for n=" + n);
            }
        }
    }

    @Test
    void runChunksRunsEveryChunkOnceEvenWithMoreChunksThanThreads() {
        try (ThreadPool pool = new ThreadPool(3)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(50);
            pool.runChunks(50, (c, cs) -> {
                assertEquals(50, cs);
                hits.incrementAndGet(c);
            });
            for (int c = 0; c < 50; c++) assertEquals(1, hits.get(c), "chunk " + c);
        }
    }

    @Test
    void usesTheWorkers() throws Exception {
        try (ThreadPool pool = new ThreadPool(2)) {
            // each chunk waits for the other: only possible if they run on two threads at once
            CountDownLatch both = new CountDownLatch(2);
            assertTimeoutPreemptively(TIMEOUT, () -> pool.runChunks(2, (c, cs) -> {
                both.countDown();
                try {
                    both.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
    }

    @Test
    void exceptionsPropagateAndThePoolStaysUsable() {
        try (ThreadPool pool = new ThreadPool(2)) {
            for (int failing = 0; failing < 2; failing++) {
                int f = failing;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                        pool.runChunks(2, (c, cs) -> {
                            if (c == f) throw new IllegalArgumentException("boom " + c);
                        }));
                assertEquals("boom " + f, e.getMessage());
            }
            assertThrows(AssertionError.class, () -> pool.parallelFor(10, (s, e) -> {
                throw new AssertionError("error");
            }));
            AtomicLong sum = new AtomicLong();
            pool.parallelFor(100, (s, e) -> {
                for (int i = s; i < e; i++) sum.addAndGet(i);
            });
            assertEquals(4950, sum.get());
        }
    }

    @Test
    void concurrentCallersGetTheirOwnResults() {
        try (ThreadPool pool = new ThreadPool(2)) {
            assertTimeoutPreemptively(TIMEOUT, () -> {
                List<Thread> callers = new ArrayList<>();
                ConcurrentHashMap<Integer, String> errors = new ConcurrentHashMap<>();
                for (int t = 0; t < 4; t++) {
                    int id = t;
                    Thread th = new Thread(() -> {
                        for (int it = 0; it < 200; it++) {
                            int n = 50 + id * 13 + it;
                            AtomicLong sum = new AtomicLong();
                            pool.parallelFor(n, (s, e) -> {
                                for (int i = s; i < e; i++) sum.addAndGet(i * (long) (id + 1));
                            });
                            long want = (long) n * (n - 1) / 2 * (id + 1);
                            if (sum.get() != want) errors.put(id, "iteration " + it + ": " + sum.get() + " != " + want);
                        }
                    });
                    callers.add(th);
                    th.start();
                }
                for (Thread th : callers) th.join();
                assertTrue(errors.isEmpty(), errors.toString());
            });
        }
    }

    @Test
    void nestedCallsRunInlineOnTheCallingThread() {
        try (ThreadPool pool = new ThreadPool(2)) {
            assertTimeoutPreemptively(TIMEOUT, () -> {
                AtomicIntegerArray hits = new AtomicIntegerArray(2 * 10);
                pool.runChunks(2, (outer, cs) -> {
                    Thread me = Thread.currentThread();
                    pool.parallelFor(10, (s, e) -> {
                        assertSame(me, Thread.currentThread(), "nested chunk left its thread");
                        for (int i = s; i < e; i++) hits.incrementAndGet(outer * 10 + i);
                    });
                });
                for (int i = 0; i < 20; i++) assertEquals(1, hits.get(i));
            });
        }
    }

    @Test
    void closedPoolRejectsWorkAndSharedPoolCannotBeClosed() {
        ThreadPool pool = new ThreadPool(2);
        pool.close();
        pool.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.runChunks(2, (c, cs) -> { }));
        assertTrue(e.getMessage().contains("closed"));
        ThreadPool shared = ThreadPool.shared();
        shared.close();
        AtomicLong sum = new AtomicLong();
        shared.parallelFor(10, (s, en) -> sum.addAndGet(en - s));
        assertEquals(10, sum.get());
    }

    @Test
    void casaThreadsParsing() {
        assertEquals(3, ThreadPool.parseThreads("3", 8));
        assertEquals(2, ThreadPool.parseThreads(" 2 ", 8));
        assertEquals(8, ThreadPool.parseThreads(null, 8));
        assertEquals(8, ThreadPool.parseThreads("  ", 8));
        for (String bad : new String[] {"0", "-1", "two", "1.5"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ThreadPool.parseThreads(bad, 8));
            assertTrue(e.getMessage().contains("casa.threads") && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new ThreadPool(0));
    }
}
