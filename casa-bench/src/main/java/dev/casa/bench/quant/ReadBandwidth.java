package dev.casa.bench.quant;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Simd;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.FloatVector;

/**
 * The read bandwidth a decode step can hope for, measured in the same run as the decode: a streaming-read probe
 * (plain vector loads, 8 concurrent streams per thread, over buffers far larger than L3) and, when the library is
 * installed, OpenBLAS's {@code cblas_sgemv} on F32 matrices of the same total size (Debian's OpenMP build, called
 * in-process through the FFM API). Each reports its best pass in GB/s; the bound uses the larger.
 */
final class ReadBandwidth {
    static final long TOTAL_BYTES = 1L << 29;   // 512 MiB: 16× the 32 MB L3
    static final Path OPENBLAS_OPENMP = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0");

    record Result(double streamGBs, double sgemvGBs, String sgemvNote) {
        double best() { return Math.max(streamGBs, Double.isNaN(sgemvGBs) ? 0 : sgemvGBs); }
    }

    private final ThreadPool pool;
    private final int passes;
    private final MemorySegment[] buffers = new MemorySegment[16];
    private MemorySegment[] matrices;
    private MemorySegment x, y;
    private MethodHandle gemv;
    private MethodHandle setThreads;
    private String unavailable;

    /** Allocates (and touches) the probes' memory once: 512 MiB for each probe. */
    ReadBandwidth(ThreadPool pool, int passes) {
        this.pool = pool;
        this.passes = passes;
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = Arena.ofAuto().allocate(TOTAL_BYTES / buffers.length, 64);
            for (long o = 0; o < buffers[i].byteSize(); o += 8) buffers[i].set(ValueLayout.JAVA_LONG, o, o * 31 + i);
        }
        try {
            openBlas();
        } catch (Throwable e) {
            unavailable = "OpenBLAS sgemv unavailable: " + e;
        }
    }

    Result measure() {
        double stream = stream();
        double sgemv = Double.NaN;
        String note = unavailable;
        if (unavailable == null) {
            try {
                // Every thread count up to the pool's: on a shared machine OpenMP's barrier waits for a thread whose
                // core is taken (2 threads then read 8 GB/s where 1 reads 24); the bound takes the best.
                int bestThreads = 1;
                for (int t = 1; t <= pool.threads(); t++) {
                    double r = sgemv(t);
                    if (!(r <= sgemv)) {
                        sgemv = r;
                        bestThreads = t;
                    }
                }
                note = "OpenBLAS (OpenMP build) cblas_sgemv, best with " + bestThreads + " of 1.." + pool.threads() + " threads";
            } catch (Throwable e) {
                note = "OpenBLAS sgemv failed: " + e;
            }
        }
        return new Result(stream, sgemv, note);
    }

    // ------------------------------------------------------------------ streaming read probe

    private static final int STREAMS = 8;

    double stream() {
        DoubleAdder sink = new DoubleAdder();
        double best = 0;
        for (int p = 0; p < passes + 1; p++) {
            long t0 = System.nanoTime();
            for (MemorySegment b : buffers) {
                int threads = pool.threads();
                pool.parallelFor(threads, (s, e) -> {
                    for (int t = s; t < e; t++) {
                        long slice = b.byteSize() / threads;
                        sink.add(read(b, t * slice, slice));
                    }
                });
            }
            double gbs = TOTAL_BYTES / ((System.nanoTime() - t0) / 1e9) / 1e9;
            if (p > 0) best = Math.max(best, gbs);   // the first pass warms up the JIT
        }
        if (sink.sum() == 42) System.out.print("");
        return best;
    }

    /** Sums {@code bytes} at {@code start} as floats, 8 contiguous parts read side by side. */
    private static float read(MemorySegment b, long start, long bytes) {
        int step = Simd.F.vectorByteSize();
        long part = bytes / STREAMS / step * step;
        FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        for (long o = start; o < start + part; o += step) {
            a0 = a0.add(FloatVector.fromMemorySegment(Simd.F, b, o, le));
            a1 = a1.add(FloatVector.fromMemorySegment(Simd.F, b, o + part, le));
            a2 = a2.add(FloatVector.fromMemorySegment(Simd.F, b, o + 2 * part, le));
            a3 = a3.add(FloatVector.fromMemorySegment(Simd.F, b, o + 3 * part, le));
            a4 = a4.add(FloatVector.fromMemorySegment(Simd.F, b, o + 4 * part, le));
            a5 = a5.add(FloatVector.fromMemorySegment(Simd.F, b, o + 5 * part, le));
            a6 = a6.add(FloatVector.fromMemorySegment(Simd.F, b, o + 6 * part, le));
            a7 = a7.add(FloatVector.fromMemorySegment(Simd.F, b, o + 7 * part, le));
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    // ------------------------------------------------------------------ OpenBLAS sgemv

    private static final int ROW_MAJOR = 101, NO_TRANS = 111;

    private void openBlas() throws Throwable {
        Arena arena = Arena.ofAuto();
        SymbolLookup blas = Files.exists(OPENBLAS_OPENMP) ? SymbolLookup.libraryLookup(OPENBLAS_OPENMP, arena)
                : SymbolLookup.libraryLookup("libopenblas.so.0", arena);
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> threads = blas.find("openblas_set_num_threads");
        if (threads.isPresent()) setThreads = linker.downcallHandle(threads.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        gemv = linker.downcallHandle(blas.find("cblas_sgemv").orElseThrow(() -> new IllegalStateException("no cblas_sgemv")),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        long matrixBytes = 4L * ROWS * COLS;
        matrices = new MemorySegment[(int) (TOTAL_BYTES / matrixBytes)];
        for (int i = 0; i < matrices.length; i++) {
            matrices[i] = arena.allocate(matrixBytes, 64);
            for (long o = 0; o < matrixBytes; o += 4) matrices[i].set(ValueLayout.JAVA_FLOAT, o, (float) ((o >> 2) % 97) * 1e-3f);
        }
        x = arena.allocate(4L * COLS, 64);
        y = arena.allocate(4L * ROWS, 64);
        for (int j = 0; j < COLS; j++) x.setAtIndex(ValueLayout.JAVA_FLOAT, j, 1f / (j + 1));
    }

    private static final int ROWS = 4096, COLS = 4096;

    /** Best pass of y = A·x over the matrices (together 512 MiB) with {@code threads} OpenBLAS threads, in GB/s. */
    private double sgemv(int threads) throws Throwable {
        if (setThreads != null) setThreads.invokeExact(threads);
        double best = 0;
        for (int p = 0; p < passes + 1; p++) {
            long t0 = System.nanoTime();
            for (MemorySegment m : matrices) gemv.invokeExact(ROW_MAJOR, NO_TRANS, ROWS, COLS, 1f, m, COLS, x, 1, 0f, y, 1);
            double gbs = (double) matrices.length * m(0) / ((System.nanoTime() - t0) / 1e9) / 1e9;
            if (p > 0) best = Math.max(best, gbs);
        }
        return best;
    }

    private long m(int i) { return matrices[i].byteSize(); }
}
