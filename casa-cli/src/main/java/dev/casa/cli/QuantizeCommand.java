package dev.casa.cli;

import dev.casa.LoadOptions;
import dev.casa.Quantization;
import dev.casa.QuantizedModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code casa quantize}: writes a copy of a model directory with its Linear layers in Q8_0 or Q4_0. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write a copy of a model directory with its Linear layers quantized (Q8_0, or Q4_0 with the output head in Q8_0).",
            "The new directory loads like any other; docs/quantization.md says which tensors and how they are stored."})
public final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", required = true, description = "model directory to quantize")
    Path model;

    @Option(names = "--type", paramLabel = "TYPE", required = true, description = "q8_0 or q4_0")
    String type;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "new model directory (must not exist, or be empty)")
    Path out;

    @Option(names = "--exclude", paramLabel = "REGEX", description = "keep tensors whose name contains a match of REGEX as stored (repeatable)")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "threads that quantize, 1 to " + ModelOptions.MAX_THREADS + " (default: all cores)")
    Integer threads;

    @Option(names = "--debug", description = "print stack traces on errors")
    boolean debug;

    @Override
    public Integer call() throws Exception {
        Quantization q = type.strip().equalsIgnoreCase("none") ? Quantization.NONE : null;
        try {
            q = q == null ? Quantization.parse(type) : q;
        } catch (IllegalArgumentException e) {
            q = Quantization.NONE;
        }
        if (q == Quantization.NONE) throw new IllegalArgumentException("--type must be q8_0 or q4_0, got '" + type + "'");
        if (!Files.isDirectory(model)) throw new IllegalArgumentException("model directory not found: " + model);
        LoadOptions options = LoadOptions.defaults().withPool(ModelOptions.pool(threads)).withQuantize(q).withExclude(exclude.toArray(String[]::new));
        long t0 = System.nanoTime();
        QuantizedModelWriter.Summary s = QuantizedModelWriter.write(model, options, out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        var o = ConsoleOutput.OUT;
        o.printf("quantized %d matrices to %s (output head %s); weights %s -> %s; wrote %s in %.1f s%n",
                s.quantized(), q.linearFormat(), q.headFormat(), InfoCommand.human(s.storedWeightBytes()),
                InfoCommand.human(s.weightBytes()), out, seconds);
        if (!s.kept().isEmpty()) {
            Map<String, Integer> why = new TreeMap<>();
            s.kept().values().forEach(v -> why.merge(v, 1, Integer::sum));
            o.println("kept as stored: " + why);
        }
        return 0;
    }
}
