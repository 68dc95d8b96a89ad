package dev.casa;

import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.SafetensorsFile;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.ShardedTensorStore;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import dev.casa.family.LoadedWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code casa quantize}: a model directory with its Linear layers quantized, written as a new directory that
 * loads like any other. The model is loaded with the quantization (so the family decides which tensors, as
 * at load: docs/quantization.md), then every tensor is written to one {@code model.safetensors} (quantized
 * ones in the U8 + {@code __metadata__} convention, the rest as stored), and every other file of the
 * directory (configs, tokenizer, templates) is copied. The directory appears complete or not at all.
 */
public final class QuantizedModelWriter {
    private QuantizedModelWriter() {}

    /** What was written. */
    public record Summary(Path out, int quantized, Map<String, String> kept, long weightBytes, long storedWeightBytes) {}

    /**
     * Writes {@code model} quantized per {@code options} to {@code out}, which must not exist (or be an empty directory).
     *
     * @throws IllegalArgumentException {@link Quantization#NONE}, {@code out} not empty, or the same as {@code model}
     * @throws dev.casa.core.config.ModelFormatException the model directory cannot be loaded
     */
    public static Summary write(Path model, LoadOptions options, Path out) throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        if (options.quantize() == Quantization.NONE) throw new IllegalArgumentException("no quantization type given (q8_0 or q4_0)");
        Path source = model.toAbsolutePath().normalize();
        Path target = out.toAbsolutePath().normalize();
        if (target.startsWith(source) || source.startsWith(target)) {
            throw new IllegalArgumentException("output directory " + out + " must be outside the model directory " + model);
        }
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(target) || !isEmpty(target)) {
                throw new FileAlreadyExistsException(out + ": exists and is not an empty directory");
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        // A hidden sibling (same file system, so the final rename is atomic), created with the usual permissions.
        Path staging = parent.resolve("." + target.getFileName() + ".partial-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createDirectory(staging);
        try (CasaModel loaded = CasaModel.load(model, options)) {
            TensorStore weights = loaded.weights();
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("casa.quantize", options.quantize().optionName());
            long bytes = 0, storedBytes = 0;
            TensorStore stored = weights instanceof LoadedWeights lw ? lw.stored() : weights;
            for (String name : weights.names()) {
                Tensor t = weights.get(name);
                writer.add(t);
                bytes += t.data().byteSize();
                storedBytes += stored.get(name).data().byteSize();
            }
            writer.write(staging.resolve(ModelWeights.SINGLE_FILE));
            copyOtherFiles(source, staging, weightFiles(stored));
            if (Files.exists(target)) Files.delete(target);   // the empty directory checked above
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            Map<String, String> kept = new TreeMap<>();
            loaded.quantizationReport().kept().forEach((k, v) -> kept.put(k, v.toString()));
            return new Summary(out, loaded.quantizationReport().quantized().size(), kept, bytes, storedBytes);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(staging);
            throw e;
        }
    }

    /** The files that hold the source weights (not copied: the new model.safetensors replaces them). */
    private static java.util.Set<Path> weightFiles(TensorStore stored) {
        java.util.Set<Path> files = new java.util.HashSet<>();
        if (stored instanceof SafetensorsFile f) files.add(f.path().toAbsolutePath().normalize());
        if (stored instanceof ShardedTensorStore s) {
            for (SafetensorsFile f : s.shards()) files.add(f.path().toAbsolutePath().normalize());
        }
        return files;
    }

    private static void copyOtherFiles(Path from, Path to, java.util.Set<Path> weightFiles) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(from)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                Path abs = p.toAbsolutePath().normalize();
                if (weightFiles.contains(abs) || name.equals(ModelWeights.SINGLE_FILE) || name.equals(ModelWeights.INDEX_FILE)) continue;
                Path dest = to.resolve(name);
                if (Files.isDirectory(p)) {
                    Files.createDirectory(dest);
                    copyOtherFiles(p, dest, weightFiles);
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, dest);
                }
                // anything else (a FIFO, a dangling link) is not part of a model
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort: a leftover staging directory is hidden (dot name) and says what it is
        }
    }
}
