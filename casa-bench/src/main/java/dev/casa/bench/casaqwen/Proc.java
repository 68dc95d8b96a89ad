package dev.casa.bench.casaqwen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the OS says about this process and machine: resident memory, CPU time, load, CPU model. */
final class Proc {
    private Proc() {}

    /** A field of /proc/self/status in bytes (VmRSS, RssAnon, RssFile), or −1 if unavailable. */
    static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** CPU time of this process (all threads), seconds: with the wall time, how many cores a run got. */
    static double cpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /**
     * CPU time of all live threads of the JVM, seconds, at nanosecond resolution (the process total of
     * {@link #cpuSeconds} moves in 10 ms ticks here). Threads that ended are not counted: use it across
     * work done by long-lived threads (the thread pool).
     */
    static double threadsCpuSeconds() {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long id : mx.getAllThreadIds()) {
            long t = mx.getThreadCpuTime(id);
            if (t > 0) total += t;
        }
        return total / 1e9;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** "model name" of /proc/cpuinfo and the CPU count. */
    static String cpuModel() {
        String model = "n/a";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException e) {
            // keep n/a
        }
        return model + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
    }
}
