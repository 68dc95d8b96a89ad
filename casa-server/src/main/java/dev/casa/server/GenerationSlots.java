package dev.casa.server;

import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The generation slots: {@code parallel} platform threads run generations (the model's kernels are
 * CPU-bound and must not pin the virtual threads that serve HTTP); up to {@code queue} more requests
 * wait. A request beyond that gets 429 with a Retry-After estimated from recent run times. A request
 * whose client leaves while it waits is taken out of the queue.
 */
final class GenerationSlots implements AutoCloseable {
    /** Thrown into the request's thread when its client went away: no answer is written. */
    static final class ClientGone extends RuntimeException {
        ClientGone() { super("client closed the connection", null, false, false); }
    }

    private final int parallel;
    private final int queue;
    private final ThreadPoolExecutor executor;
    /** Admitted requests: running plus waiting. Counted here, not by the executor's queue, so the bound is exact. */
    private final AtomicInteger admitted = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    /** Mean seconds per task (exponentially weighted), for Retry-After. */
    private volatile double meanSeconds = 1.0;

    GenerationSlots(int parallel, int queue) {
        this.parallel = parallel;
        this.queue = queue;
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(parallel, parallel, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "casa-generate-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs {@code task} in a slot and waits for it, checking {@code watch} while it waits. Throws
     * {@link ApiException} 429 when the queue is full, {@link ClientGone} when the client left first.
     */
    <T> T run(Callable<T> task, ClientWatch watch) throws Exception {
        if (admitted.incrementAndGet() > parallel + queue) {
            admitted.decrementAndGet();
            throw ApiException.busy("The server is busy: " + running() + " generations are running and " + queued()
                    + " requests are waiting. Retry later.", retryAfterSeconds());
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) admitted.decrementAndGet();
        };
        FutureTask<T> future = new FutureTask<>(() -> {
            running.incrementAndGet();
            long start = System.nanoTime();
            try {
                if (watch.gone()) throw new ClientGone();
                return task.call();
            } finally {
                running.decrementAndGet();
                release.run();
                meanSeconds = 0.8 * meanSeconds + 0.2 * (System.nanoTime() - start) / 1e9;
            }
        });
        try {
            executor.execute(future);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        while (true) {
            try {
                return future.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException waiting) {
                if (watch.gone() && executor.remove(future)) {   // still waiting: give up its place
                    release.run();
                    throw new ClientGone();
                }
            } catch (CancellationException e) {
                throw new ClientGone();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception ex) throw ex;
                if (e.getCause() instanceof Error err) throw err;
                throw e;
            }
        }
    }

    /** Requests waiting for a slot. */
    int queued() { return Math.max(0, admitted.get() - running.get()); }

    /** Generations running now. */
    int running() { return running.get(); }

    int parallel() { return parallel; }

    long retryAfterSeconds() {
        return Math.max(1, (long) Math.ceil(meanSeconds * (queued() + running() + 1) / parallel));
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
