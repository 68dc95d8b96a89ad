package dev.casa.bench.kernels;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Simd;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decode GEMV read bandwidth from DRAM, per weight format, next to the machine's read bandwidth
 * measured in the same run.
 *
 * <p>Every call multiplies the next of several copies of the weight matrix, together well over
 * the 32 MB L3 ({@code totalMB}), so every call streams its weights from DRAM, as decode does
 * (a single matrix would sit in L3 after the first call and report cache bandwidth).
 * {@code probe} streams buffers of the same total size with plain vector loads on the same
 * threads: the bandwidth a GEMV could reach. Both report the secondary metric {@code bytes} in
 * bytes per nanosecond, i.e. GB/s ({@code gemv:bytes}, {@code probe:bytes}); the primary
 * metric is calls per ns. On a shared machine the ratio to use is {@code gemvThenProbe}'s, which
 * times a GEMV and a probe read back to back, and the busy-core rates ({@link Busy}). The CPU
 * model and vector flags are printed at setup; {@code scripts/jmh_rates.py} prints all of it.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar casa-bench/target/casa-bench.jar GemvBandwidthBench -f 1 -wi 3 -i 5</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class GemvBandwidthBench {

    /** Bytes moved by the calls of one iteration, reported per ns (GB/s). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() { bytes = 0; }
    }

    /**
     * The same bytes and the CPU time all the benchmark's threads (caller and pool workers) spent,
     * per iteration. On a shared machine {@code busyBytes / busyNs × threads} estimates what the
     * threads read while they ran (GB/s on busy cores; {@code scripts/jmh_rates.py} prints it).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Busy {
        public long busyBytes;
        public long busyNs;
        long[] workers;

        @Setup(Level.Iteration)
        public void reset() {
            busyBytes = 0;
            busyNs = 0;
        }

        long cpuNow() {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long t = mx.getCurrentThreadCpuTime();
            for (long id : workers) t += Math.max(0, mx.getThreadCpuTime(id));
            return t;
        }
    }

    /** The ids of the pool's worker threads (named casa-worker-*), created after {@code before}. */
    static long[] workerIds(java.util.Set<Long> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("casa-worker-") && !before.contains(t.threadId()))
                .mapToLong(Thread::threadId).toArray();
    }

    static java.util.Set<Long> threadIds() {
        return new java.util.HashSet<>(Thread.getAllStackTraces().keySet().stream().map(Thread::threadId).toList());
    }

    @State(Scope.Benchmark)
    public static class Weights {
        /** Output features (N) x input features (K): Helium-2B's MLP projections. */
        @Param({"7040x2560", "2560x7040"})
        public String weight;
        @Param({"F32", "BF16", "Q8_0", "Q4_0"})
        public String format;
        @Param({"2"})
        public int threads;
        /** Total size of the copies cycled through (L3 is 32 MB). */
        @Param({"512"})
        public int totalMB;

        ThreadPool pool;
        Tensor[] copies;
        long matrixBytes;
        float[] x;
        float[] y;
        int next;
        long[] workers;

        @Setup(Level.Trial)
        public void setUp() {
            printMachine();
            String[] d = weight.split("x");
            int n = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]);
            java.util.Set<Long> before = threadIds();
            pool = new ThreadPool(threads);
            x = MatmulBench.randomFloats(k, 2);
            y = new float[n];
            workers = workerIds(before);
            copies = copies(WeightFormat.named(format), n, k, totalMB);
            matrixBytes = copies[0].data().byteSize();
            System.out.printf("%s %s: %d copies of %.1f MB%n", format, weight, copies.length, matrixBytes / 1e6);
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }
    }

    @State(Scope.Benchmark)
    public static class Probe {
        @Param({"2"})
        public int threads;
        @Param({"512"})
        public int totalMB;

        ThreadPool pool;
        MemorySegment[] buffers;
        int next;
        long[] workers;

        @Setup(Level.Trial)
        public void setUp() {
            printMachine();
            java.util.Set<Long> before = threadIds();
            pool = new ThreadPool(threads);
            workers = workerIds(before);
            // 16 buffers of totalMB/16 each, filled so no page is shared or zero-mapped.
            buffers = new MemorySegment[16];
            long size = (long) totalMB << 20 >> 4;
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = Arena.ofAuto().allocate(size, 64);
                fill(buffers[i], i);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }
    }

    /** Q8_0 weights for the int8-activation design (see {@link Q8Int8Activations}); prints both designs' error once. */
    @State(Scope.Benchmark)
    public static class Q8Weights {
        @Param({"7040x2560"})
        public String weight;
        @Param({"2"})
        public int threads;
        @Param({"512"})
        public int totalMB;

        ThreadPool pool;
        Tensor[] copies;
        long matrixBytes;
        float[] x;
        float[] y;
        int next;
        long[] workers;

        @Setup(Level.Trial)
        public void setUp() {
            printMachine();
            String[] d = weight.split("x");
            int n = Integer.parseInt(d[0]), k = Integer.parseInt(d[1]);
            java.util.Set<Long> before = threadIds();
            pool = new ThreadPool(threads);
            workers = workerIds(before);
            x = MatmulBench.randomFloats(k, 2);
            y = new float[n];
            copies = copies(WeightFormat.Q8_0, n, k, totalMB);
            matrixBytes = copies[0].data().byteSize();
            printErrors(copies[0], x, pool);
        }

        @TearDown(Level.Trial)
        public void tearDown() { pool.close(); }
    }

    /** RMS error of both designs against a double-precision product with the same (dequantized) weights. */
    static void printErrors(Tensor w, float[] x, ThreadPool pool) {
        int n = w.rows(), k = w.cols();
        float[] dq = w.toFloatArray();
        float[] f32 = new float[n], int8 = new float[n];
        Matmul.matmul(pool, x, 0, 1, w, null, f32, 0);
        Q8Int8Activations.gemv(pool, w, x, int8);
        double e32 = 0, e8 = 0, ref2 = 0;
        for (int i = 0; i < n; i++) {
            double ref = 0;
            for (int j = 0; j < k; j++) ref += (double) dq[i * k + j] * x[j];
            e32 += (f32[i] - ref) * (f32[i] - ref);
            e8 += (int8[i] - ref) * (int8[i] - ref);
            ref2 += ref * ref;
        }
        System.out.printf("Q8_0 GEMV relative RMS error vs exact: float32 activations %.2e, int8 activations %.2e%n",
                Math.sqrt(e32 / ref2), Math.sqrt(e8 / ref2));
    }

    /** The rejected design: activations quantized to int8 per block, integer dot (Q8_0 only). */
    @Benchmark
    public float[] gemvInt8Activations(Q8Weights s, Bytes b, Busy busy) {
        Tensor w = s.copies[s.next];
        s.next = (s.next + 1) % s.copies.length;
        busy.workers = s.workers;
        long c0 = busy.cpuNow();
        Q8Int8Activations.gemv(s.pool, w, s.x, s.y);
        busy.busyNs += busy.cpuNow() - c0;
        busy.busyBytes += s.matrixBytes;
        b.bytes += s.matrixBytes;
        return s.y;
    }

    @Benchmark
    public float[] gemv(Weights s, Bytes b, Busy busy) {
        Tensor w = s.copies[s.next];
        s.next = (s.next + 1) % s.copies.length;
        busy.workers = s.workers;
        long c0 = busy.cpuNow();
        Matmul.matmul(s.pool, s.x, 0, 1, w, null, s.y, 0);
        busy.busyNs += busy.cpuNow() - c0;
        busy.busyBytes += s.matrixBytes;
        b.bytes += s.matrixBytes;
        return s.y;
    }

    /** Wall time of interleaved GEMV and probe calls, per iteration (see {@link #gemvThenProbe}). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Paired {
        public long gemvBytes;
        public long gemvNs;
        public long probeBytes;
        public long probeNs;

        @Setup(Level.Iteration)
        public void reset() {
            gemvBytes = gemvNs = probeBytes = probeNs = 0;
        }
    }

    /**
     * One GEMV, then one probe buffer, timed separately: the two see the same machine within
     * milliseconds, so {@code (gemvBytes/gemvNs) / (probeBytes/probeNs)} is the fraction of the
     * achievable read bandwidth even when other work shares the machine.
     */
    @Benchmark
    public float gemvThenProbe(Weights s, Probe p, Bytes b, Paired paired) {
        Tensor w = s.copies[s.next];
        s.next = (s.next + 1) % s.copies.length;
        long t0 = System.nanoTime();
        Matmul.matmul(s.pool, s.x, 0, 1, w, null, s.y, 0);
        long t1 = System.nanoTime();
        MemorySegment buf = p.buffers[p.next];
        p.next = (p.next + 1) % p.buffers.length;
        float sum = readBuffer(s.pool, buf);
        long t2 = System.nanoTime();
        paired.gemvBytes += s.matrixBytes;
        paired.gemvNs += t1 - t0;
        paired.probeBytes += buf.byteSize();
        paired.probeNs += t2 - t1;
        b.bytes += s.matrixBytes + buf.byteSize();
        return sum + s.y[0];
    }

    /** Sums one buffer with vector loads, split over the pool in 1 MB pieces claimed dynamically (like the GEMV's row ranges). */
    @Benchmark
    public float probe(Probe s, Bytes b, Busy busy) {
        busy.workers = s.workers;
        long c0 = busy.cpuNow();
        MemorySegment buf = s.buffers[s.next];
        s.next = (s.next + 1) % s.buffers.length;
        float sum = readBuffer(s.pool, buf);
        busy.busyNs += busy.cpuNow() - c0;
        busy.busyBytes += buf.byteSize();
        b.bytes += buf.byteSize();
        return sum;
    }

    static float readBuffer(ThreadPool pool, MemorySegment buf) {
        int pieces = (int) (buf.byteSize() >> 20);
        AtomicInteger piece = new AtomicInteger();
        float[] sums = new float[pool.threads()];
        pool.runChunks(pool.threads(), (chunk, chunks) -> {
            float sum = 0;
            for (int p; (p = piece.getAndIncrement()) < pieces; ) sum += readPiece(buf, (long) p << 20, 1L << 20);
            sums[chunk] = sum;
        });
        return sums[0];
    }

    /**
     * Sums {@code length} bytes from {@code from} as 8 concurrent sequential streams (one per
     * eighth), like the decode kernels' row streams: one stream per thread leaves DRAM bandwidth
     * unused on this machine, and the probe should be the best read rate, not a low one.
     */
    private static float readPiece(MemorySegment buf, long from, long length) {
        int step = Simd.F.vectorByteSize();
        long part = length / 8;
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        FloatVector s0 = FloatVector.zero(Simd.F), s1 = s0, s2 = s0, s3 = s0;
        for (long o = from; o < from + part; o += step) {
            s0 = s0.add(FloatVector.fromMemorySegment(Simd.F, buf, o, le))
                    .add(FloatVector.fromMemorySegment(Simd.F, buf, o + part, le));
            s1 = s1.add(FloatVector.fromMemorySegment(Simd.F, buf, o + 2 * part, le))
                    .add(FloatVector.fromMemorySegment(Simd.F, buf, o + 3 * part, le));
            s2 = s2.add(FloatVector.fromMemorySegment(Simd.F, buf, o + 4 * part, le))
                    .add(FloatVector.fromMemorySegment(Simd.F, buf, o + 5 * part, le));
            s3 = s3.add(FloatVector.fromMemorySegment(Simd.F, buf, o + 6 * part, le))
                    .add(FloatVector.fromMemorySegment(Simd.F, buf, o + 7 * part, le));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }

    /**
     * Copies of one random {@code n×k} matrix in {@code format}, enough to total {@code totalMB},
     * each in its own off-heap allocation (touched here, not in the first measured call).
     */
    static Tensor[] copies(WeightFormat format, int n, int k, int totalMB) {
        float[] values = new float[n * k];
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < values.length; i++) values[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.05);
        Tensor f32 = Tensor.ofFloats("bench", values, n, k);
        Tensor first = switch (format.name()) {
            case "F32" -> f32;
            case "BF16" -> Tensor.ofBf16("bench", values, n, k);
            case "F16" -> Tensor.ofF16("bench", values, n, k);
            default -> Quantizer.quantize(f32, format);
        };
        long bytes = first.data().byteSize();
        int count = (int) Math.max(2, ((long) totalMB << 20) / bytes);
        Tensor[] copies = new Tensor[count];
        for (int i = 0; i < count; i++) {
            MemorySegment seg = Arena.ofAuto().allocate(bytes, 64);
            seg.copyFrom(first.data());
            copies[i] = new Tensor("bench-" + i, format, first.shape(), seg);
        }
        return copies;
    }

    private static void fill(MemorySegment seg, int seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long o = 0; o < seg.byteSize(); o += 8) seg.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, o, rnd.nextLong());
    }

    /** CPU model and the vector extensions that decide the kernels' shapes, for the record. */
    static void printMachine() {
        String model = "?";
        StringBuilder flags = new StringBuilder();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && model.equals("?")) model = line.substring(line.indexOf(':') + 1).trim();
                if (line.startsWith("flags") && flags.isEmpty()) {
                    for (String f : line.substring(line.indexOf(':') + 1).trim().split(" ")) {
                        if (f.equals("avx2") || f.equals("fma") || f.equals("f16c") || f.startsWith("avx512")) flags.append(f).append(' ');
                    }
                }
            }
        } catch (IOException e) {
            model = "unknown (" + e.getMessage() + ")";
        }
        System.out.printf("cpu: %s, %d processors; flags: %s; vector: %d-bit (%d floats)%n", model,
                Runtime.getRuntime().availableProcessors(), flags.toString().trim(), Simd.F.vectorBitSize(), Simd.LANES);
    }
}
