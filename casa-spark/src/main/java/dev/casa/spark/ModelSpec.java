package dev.casa.spark;

import java.io.File;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkFiles;

/**
 * Which model an executor loads: a directory on a filesystem every executor sees (a local path, a
 * {@code file:} URI, NFS), or the name of a directory shipped to the executors with
 * {@code SparkContext.addFile(dir, true)}, {@code --files} or {@code --archives ARCHIVE#name}.
 *
 * @param model   the directory or shipped name
 * @param quantize {@code none}, {@code q8_0} or {@code q4_0} (see {@link Quantize})
 * @param threads kernel threads of the executor's model, 0 = sized from the executor's cores
 */
record ModelSpec(String model, String quantize, int threads) implements Serializable {
    ModelSpec {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("no model: set the model directory (setModel)");
        quantize = Quantize.check(quantize);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = from the executor's cores), got " + threads);
    }

    /** The model directory on this host: the path itself, else a shipped file of that name. */
    Path resolveDirectory() {
        Path direct = asPath(model);
        if (direct != null && Files.isDirectory(direct)) return direct.toAbsolutePath().normalize();
        String shipped = null;
        try {
            shipped = SparkFiles.get(direct == null ? model : direct.getFileName().toString());
        } catch (RuntimeException noSparkEnv) {
            // outside an executor, or before SparkEnv is up: only the direct path counts
        }
        if (shipped != null && new File(shipped).isDirectory()) return Path.of(shipped).toAbsolutePath().normalize();
        throw new IllegalArgumentException("model directory '" + model + "' not found on host " + host()
                + ": it is not a directory there" + (shipped == null ? "" : " nor in the files shipped to this executor (" + shipped + ")")
                + "; put it on a filesystem every executor mounts, or ship it with SparkContext.addFile(dir, true) or --archives");
    }

    private static Path asPath(String s) {
        try {
            return s.startsWith("file:") ? Path.of(URI.create(s)) : Path.of(s);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String host() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "(unknown host)";
        }
    }
}
