package dev.casa.bench.qwen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a peer script of {@code casa-bench/scripts} with Debian's {@code /usr/bin/python3} (torch 1.13, numpy),
 * after the Java measurements and never at the same time: {@code OMP_NUM_THREADS} = the benchmark's threads, the
 * OpenMP OpenBLAS pinned through {@code LD_LIBRARY_PATH} when libopenblas0-openmp is installed, and
 * {@code OPENBLAS_CORETYPE} / {@code OPENBLAS_L2_SIZE} removed (docs/benchmarks.md, shared/notes/peers.md).
 * Its output is echoed with a prefix; lines starting with a tag are parsed as {@code key=value} fields.
 */
final class PythonPeer {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path OPENBLAS_OPENMP = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp");

    private PythonPeer() {}

    /** The script's path from the repository root or from casa-bench, or null if neither exists. */
    static Path script(String name) {
        for (Path p : new Path[] {Path.of("casa-bench/scripts", name), Path.of("scripts", name)}) {
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** Why the peer cannot run here, or null if it can. */
    static String unavailable(String name) {
        if (!Files.isExecutable(PYTHON)) return PYTHON + " not found";
        if (script(name) == null) return "casa-bench/scripts/" + name + " not found (run from the repository root)";
        return null;
    }

    /** Runs {@code name args...}; returns the {@code key=value} fields of every line starting with {@code tag}. */
    static List<Map<String, String>> run(String name, int threads, String tag, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script(name).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.remove("OPENBLAS_CORETYPE");
        env.remove("OPENBLAS_L2_SIZE");
        env.put("OMP_NUM_THREADS", Integer.toString(threads));
        if (Files.isDirectory(OPENBLAS_OPENMP)) env.put("LD_LIBRARY_PATH", OPENBLAS_OPENMP.toString());
        else System.out.println("peer: " + OPENBLAS_OPENMP + " missing (apt-get install -y libopenblas0-openmp): torch uses the default BLAS");
        System.out.println("peer: " + String.join(" ", command) + "  (OMP_NUM_THREADS=" + threads
                + (env.containsKey("LD_LIBRARY_PATH") ? ", LD_LIBRARY_PATH=" + env.get("LD_LIBRARY_PATH") : "") + ")");
        Process p = pb.start();
        List<Map<String, String>> results = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                System.out.println("  | " + line);
                if (line.startsWith(tag + " ")) results.add(fields(line.substring(tag.length() + 1)));
            }
        }
        int rc = p.waitFor();
        if (rc != 0) throw new IOException("peer " + name + " exited with status " + rc);
        return results;
    }

    private static Map<String, String> fields(String s) {
        Map<String, String> m = new HashMap<>();
        for (String kv : s.trim().split("\\s+")) {
            int eq = kv.indexOf('=');
            if (eq > 0) m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }
}
