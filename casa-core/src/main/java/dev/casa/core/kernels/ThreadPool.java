package dev.casa.core.kernels;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One persistent pool of worker threads that splits a range into contiguous chunks, one per
 * thread; the calling thread runs the first chunk itself. Safe to use from several threads at
 * once. A call made from inside a worker runs inline (no nested parallelism, no deadlock).
 */
public final class ThreadPool implements AutoCloseable {

    /** Work over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    /** Work for chunk {@code chunk} of {@code chunks}. */
    @FunctionalInterface
    public interface ChunkTask {
        void run(int chunk, int chunks);
    }

    private static final ThreadPool SHARED = new ThreadPool(defaultThreads());
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);

    private final int threads;
    private final Thread[] workers;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    public ThreadPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workLoop, "casa-worker-" + i);
            t.setDaemon(true);
            t.start();
            workers[i] = t;
        }
    }

    /** The process-wide pool: {@code -Dcasa.threads=N}, else the number of available processors. */
    public static ThreadPool shared() { return SHARED; }

    static int defaultThreads() {
        String prop = System.getProperty("casa.threads");
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the processor count
            }
            throw new IllegalArgumentException("casa.threads must be a positive integer, got '" + prop + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() { return threads; }

    /** Runs {@code task} over {@code [0, n)} split into at most {@code threads()} contiguous chunks. */
    public void parallelFor(int n, RangeTask task) {
        if (n <= 0) return;
        int chunks = Math.min(n, threads);
        runChunks(chunks, (c, cs) -> {
            int start = (int) ((long) n * c / cs);
            int end = (int) ((long) n * (c + 1) / cs);
            if (start < end) task.run(start, end);
        });
    }

    /** Runs {@code task(c, chunks)} for every c in {@code [0, chunks)}, in parallel. */
    public void runChunks(int chunks, ChunkTask task) {
        if (chunks <= 0) return;
        if (chunks == 1 || threads == 1 || IN_WORKER.get()) {
            for (int c = 0; c < chunks; c++) task.run(c, chunks);
            return;
        }
        if (closed) throw new IllegalStateException("thread pool is closed");
        CountDownLatch done = new CountDownLatch(chunks - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int c = 1; c < chunks; c++) {
            int chunk = c;
            queue.add(() -> {
                try {
                    task.run(chunk, chunks);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            task.run(0, chunks);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
        boolean interrupted = false;
        while (true) {
            try {
                done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IllegalStateException(t);
    }

    private void workLoop() {
        IN_WORKER.set(true);
        while (!closed) {
            try {
                queue.take().run();
            } catch (InterruptedException e) {
                if (closed) return;
            }
        }
    }

    @Override
    public void close() {
        if (this == SHARED) return;
        closed = true;
        for (Thread t : workers) t.interrupt();
    }
}
