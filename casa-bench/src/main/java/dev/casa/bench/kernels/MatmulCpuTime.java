package dev.casa.bench.kernels;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * Single-thread matmul rates measured in wall time and in the thread's own CPU time. On a shared
 * machine the CPU-time rate (GFLOP/s per busy core-second) is what the kernel does when it runs;
 * it is compared with {@code openblas_sgemm.py} under {@code OMP_NUM_THREADS=1}, which reports the
 * same. Usage: {@code java --add-modules jdk.incubator.vector -cp casa-bench.jar
 * dev.casa.bench.kernels.MatmulCpuTime [reps]}.
 */
public final class MatmulCpuTime {
    private MatmulCpuTime() {}

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int[][] gemm = {{256, 2560, 7040}, {729, 1152, 4304}, {1024, 1024, 1024}};
        int[][] gemv = {{2560, 7040}, {7040, 2560}};
        try (ThreadPool pool = new ThreadPool(1); Arena arena = Arena.ofShared()) {
            for (String dt : args.length > 1 ? args[1].split(",") : new String[] {"F32", "BF16", "Q8_0", "Q4_0"}) {
                for (int[] s : gemm) {
                    int m = s[0], k = s[1], n = s[2];
                    Tensor w = MatmulBench.offHeapWeight(arena, dt, n, k);
                    double[] t = time(pool, mx, MatmulBench.randomFloats(m * k, 1), m, w, reps);
                    double gf = 2.0 * m * n * k / 1e9;
                    System.out.printf("gemm M=%d K=%d N=%d %4s 1 thread: wall best %6.1f median %6.1f GFLOP/s;"
                            + " thread CPU time best %6.1f median %6.1f GFLOP/s%n", m, k, n, dt,
                            gf / t[0], gf / t[1], gf / t[2], gf / t[3]);
                }
                for (int[] s : gemv) {
                    int n = s[0], k = s[1];
                    // Copies totalling 512 MB, one per call: every call reads from DRAM, not L3.
                    Tensor[] copies = GemvBandwidthBench.copies(WeightFormat.named(dt), n, k, 512);
                    for (int m : new int[] {1, 4}) {
                        double[] t = time(pool, mx, MatmulBench.randomFloats(m * k, 2), m, copies, reps * 5);
                        double gb = copies[0].data().byteSize() / 1e9;
                        System.out.printf("gemv W=%dx%d M=%d %4s 1 thread, from DRAM: wall best %6.1f median %6.1f GB/s;"
                                + " thread CPU time best %6.1f median %6.1f GB/s%n", n, k, m, dt,
                                gb / t[0], gb / t[1], gb / t[2], gb / t[3]);
                    }
                }
            }
        }
    }

    private static double[] time(ThreadPool pool, ThreadMXBean mx, float[] a, int m, Tensor w, int reps) {
        return time(pool, mx, a, m, new Tensor[] {w}, reps);
    }

    /** {wall best, wall median, cpu best, cpu median} in seconds, after reps/2 warm-up calls; call i uses {@code ws[i % n]}. */
    private static double[] time(ThreadPool pool, ThreadMXBean mx, float[] a, int m, Tensor[] ws, int reps) {
        float[] c = new float[m * ws[0].rows()];
        for (int i = 0; i < Math.max(3, reps / 2); i++) Matmul.matmul(pool, a, 0, m, ws[i % ws.length], null, c, 0);
        double[] wall = new double[reps];
        double[] cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            Tensor w = ws[i % ws.length];
            long t0 = System.nanoTime();
            long c0 = mx.getCurrentThreadCpuTime();
            Matmul.matmul(pool, a, 0, m, w, null, c, 0);
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) * 1e-9;
            wall[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        return new double[] {wall[0], wall[reps / 2], cpu[0], cpu[reps / 2]};
    }
}
