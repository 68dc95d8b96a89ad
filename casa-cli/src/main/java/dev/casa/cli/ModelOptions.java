package dev.casa.cli;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.CasaModel;
import dev.casa.LoadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model}, {@code --threads}, {@code --quantize}, {@code --debug}: shared by the commands that load a model. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR",
            description = "model directory (default: the bundled demo model, models/demo/model)")
    Path model;

    /** More worker threads than this is a mistake (each is a platform thread with its own stack). */
    static final int MAX_THREADS = 1024;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads, 1 to " + MAX_THREADS + " (default: all cores)")
    Integer threads;

    @Option(names = "--debug", description = "print stack traces on errors")
    boolean debug;

    @Option(names = "--quantize", paramLabel = "TYPE",
            description = "quantize the Linear layers in memory at load: none (default), q8_0, or q4_0 (output head q8_0); "
                    + "nothing is written (see 'casa quantize')")
    String quantize;

    @Option(names = "--quantize-exclude", paramLabel = "REGEX",
            description = "keep tensors whose name contains a match of REGEX as stored (repeatable)")
    java.util.List<String> quantizeExclude = new java.util.ArrayList<>();

    ThreadPool pool() {
        return pool(threads);
    }

    /** The shared pool for null, else a new pool of {@code threads} threads (checked). */
    static ThreadPool pool(Integer threads) {
        if (threads == null) return ThreadPool.shared();
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("--threads must be in [1, " + MAX_THREADS + "], got " + threads);
        }
        return new ThreadPool(threads);
    }

    Path modelDir() {
        if (model != null) return model;
        return BundledModel.locate();
    }

    /** The load options of the flags: pool, quantization, excluded tensors. */
    LoadOptions loadOptions() {
        return LoadOptions.defaults().withPool(pool()).withQuantize(quantize)
                .withExclude(quantizeExclude.toArray(String[]::new));
    }

    CasaModel load() {
        Path dir = modelDir();
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model directory not found: " + dir);
        return CasaModel.load(dir, loadOptions());
    }

    /** Finds the demo model shipped in the repository: next to the working directory or the jar. */
    static final class BundledModel {
        static final String RELATIVE = "models/demo/model";

        static Path locate() {
            Path cwd = Path.of(RELATIVE);
            if (Files.isDirectory(cwd)) return cwd;
            Path code = Launcher.codeLocation();
            for (Path p = code; p != null; p = p.getParent()) {
                Path candidate = p.resolve(RELATIVE);
                if (Files.isDirectory(candidate)) return candidate;
            }
            throw new IllegalArgumentException("no --model given and the bundled model (" + RELATIVE
                    + ") was not found near " + Path.of("").toAbsolutePath() + " or " + code);
        }
    }
}
