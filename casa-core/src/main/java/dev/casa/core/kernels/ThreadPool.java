package dev.casa.core.kernels;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One persistent pool of worker threads for data-parallel kernels. A call splits its work into
 * chunks that the calling thread and the workers claim one at a time, so the caller always makes
 * progress itself (it finishes the call alone if every worker is busy with another caller's work).
 * Safe to use from several threads at once. A call made from inside a chunk (on a worker or on the
 * calling thread) runs inline: no nested parallelism, no deadlock. The first exception thrown by a
 * chunk is rethrown to the caller once all chunks have finished.
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

    /** Created on first use, so a bad {@code casa.threads} fails there, not in every pool's class init. */
    private static final class Shared {
        static final ThreadPool POOL = new ThreadPool(defaultThreads());
    }

    private static final ThreadLocal<Boolean> IN_CHUNK = ThreadLocal.withInitial(() -> false);
    private static final Job POISON = new Job(null, 0);

    private final int threads;
    private final Thread[] workers;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
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

    /** The process-wide pool: {@code -Dcasa.threads=N}, else the number of available processors. Never closed. */
    public static ThreadPool shared() { return Shared.POOL; }

    static int defaultThreads() {
        return parseThreads(System.getProperty("casa.threads"), Runtime.getRuntime().availableProcessors());
    }

    /** {@code casa.threads}: a positive integer, or null/blank for {@code fallback}. */
    static int parseThreads(String prop, int fallback) {
        if (prop == null || prop.isBlank()) return fallback;
        try {
            int n = Integer.parseInt(prop.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("casa.threads must be a positive integer, got '" + prop + "'");
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

    /** Runs {@code task(c, chunks)} exactly once for every c in {@code [0, chunks)}, in parallel. */
    public void runChunks(int chunks, ChunkTask task) {
        if (chunks <= 0) return;
        if (chunks == 1 || threads == 1 || IN_CHUNK.get()) {
            runInline(chunks, task);
            return;
        }
        if (closed) throw new IllegalStateException("thread pool is closed");
        Job job = new Job(task, chunks);
        for (int i = 0; i < Math.min(chunks - 1, workers.length); i++) queue.add(job);
        job.work();
        job.awaitDone();
        job.rethrow();
    }

    private static void runInline(int chunks, ChunkTask task) {
        boolean outer = !IN_CHUNK.get();
        if (outer) IN_CHUNK.set(true);
        try {
            for (int c = 0; c < chunks; c++) task.run(c, chunks);
        } finally {
            if (outer) IN_CHUNK.set(false);
        }
    }

    private void workLoop() {
        while (true) {
            Job job = spinForJob();
            try {
                if (job == null) job = queue.take();
            } catch (InterruptedException e) {
                continue;   // only close() ends a worker, through POISON
            }
            if (job == POISON) return;
            try {
                job.work();
            } catch (Throwable t) {
                // Thrown outside a chunk (out of memory before claiming one): the caller and the other workers run
                // the chunks. Keep the worker, and keep the default handler from printing a stack trace.
            }
        }
    }

    /**
     * How long a worker that ran out of work polls for the next job before it parks. A decode step is hundreds
     * of small parallel calls (a GEMV of a 576-wide layer takes ~20 µs) separated by a few µs of serial work;
     * waking a parked thread takes tens of µs on a VM, so without the spin the caller ran most calls alone.
     * Bounded, so an idle pool costs nothing and a contended machine loses at most this per call.
     */
    static final long SPIN_NANOS = 100_000;

    /** The next job if one arrives within {@link #SPIN_NANOS}, else null. {@code poll()} on an empty queue takes no lock. */
    private Job spinForJob() {
        long deadline = System.nanoTime() + SPIN_NANOS;
        Job job;
        while ((job = queue.poll()) == null && System.nanoTime() < deadline) Thread.onSpinWait();
        return job;
    }

    /** Stops the workers once the work queued so far is done. The shared pool ignores this. */
    @Override
    public void close() {
        if (this == Shared.POOL || closed) return;
        closed = true;
        for (int i = 0; i < workers.length; i++) queue.add(POISON);
    }

    /** One call: chunks are claimed through {@code next}; {@code done} counts finished chunks. */
    private static final class Job {
        private final ChunkTask task;
        private final int chunks;
        private final AtomicInteger next = new AtomicInteger();
        private final CountDownLatch done;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(ChunkTask task, int chunks) {
            this.task = task;
            this.chunks = chunks;
            this.done = new CountDownLatch(chunks);
        }

        void work() {
            IN_CHUNK.set(true);
            try {
                for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                    try {
                        task.run(c, chunks);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        done.countDown();
                    }
                }
            } finally {
                IN_CHUNK.set(false);
            }
        }

        void awaitDone() {
            // The other threads' chunks usually end within microseconds of the caller's: spin before parking.
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (done.getCount() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
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
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error err) throw err;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
