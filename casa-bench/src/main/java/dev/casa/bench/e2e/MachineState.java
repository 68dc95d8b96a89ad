package dev.casa.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the OS says about this process and the machine, for every bench's report: resident memory, CPU time, load, CPU model. */
public final class MachineState {
    private MachineState() {}

    /** A field of /proc/self/status in bytes (VmRSS, RssAnon, RssFile), or −1 if unavailable. */
    public static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** CPU time of this process (all threads) in seconds: with wall time, how many cores the run actually got. */
    public static double processCpuSeconds() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1e9;
        return Double.NaN;
    }

    /**
     * CPU time of all live threads of the JVM, seconds, at nanosecond resolution (the process total of
     * {@link #processCpuSeconds} moves in 10 ms ticks here). Threads that ended are not counted: use it across
     * work done by long-lived threads (the thread pool).
     */
    public static double threadsCpuSeconds() {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : mx.getAllThreadIds()) {
            long t = mx.getThreadCpuTime(id);
            if (t > 0) total += t;
        }
        return total / 1e9;
    }

    /** The CPU model from /proc/cpuinfo ("model name", plus "flags" that matter for the kernels), or "n/a". */
    public static String cpuModel() {
        try {
            String model = "n/a", flags = "";
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && model.equals("n/a")) model = line.substring(line.indexOf(':') + 1).trim();
                if (line.startsWith("flags") && flags.isEmpty()) {
                    java.util.List<String> f = java.util.Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    flags = java.util.stream.Stream.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni").filter(f::contains)
                            .collect(java.util.stream.Collectors.joining(" "));
                }
            }
            return model + " (" + Runtime.getRuntime().availableProcessors() + " CPUs; " + flags + ")";
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** The first three fields of /proc/loadavg. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "n/a";
        }
    }
}
