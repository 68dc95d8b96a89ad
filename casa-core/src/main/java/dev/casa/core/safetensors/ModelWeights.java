package dev.casa.core.safetensors;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the weights of a model directory: {@code model.safetensors} or a sharded index. */
public final class ModelWeights {
    /** The single-file checkpoint name (HF {@code SAFE_WEIGHTS_NAME}). */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The sharded checkpoint index (HF {@code SAFE_WEIGHTS_INDEX_NAME}). */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private ModelWeights() {}

    /**
     * {@code dir/model.safetensors}, or else the shards listed by {@code dir/model.safetensors.index.json}
     * (the index is authoritative: a tensor it names must be in that shard, and every tensor of a shard
     * must be named by it). The single file wins when both exist, as in HF {@code from_pretrained}.
     * A path to a {@code .safetensors} file or to an index file is opened directly.
     */
    public static TensorStore open(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            Path single = dirOrFile.resolve(SINGLE_FILE);
            if (present(single)) return SafetensorsFile.open(single);
            Path index = dirOrFile.resolve(INDEX_FILE);
            if (present(index)) return ShardedTensorStore.open(index);
            throw new SafetensorsException(dirOrFile + ": no weights: expected " + SINGLE_FILE + " or " + INDEX_FILE);
        }
        if (!present(dirOrFile)) {
            throw new SafetensorsException(dirOrFile + ": no such model directory or safetensors file");
        }
        // A regular file, or something that is not one (FIFO, device, link loop), which open() names.
        String name = String.valueOf(dirOrFile.getFileName());
        return name.endsWith(".index.json") ? ShardedTensorStore.open(dirOrFile) : SafetensorsFile.open(dirOrFile);
    }

    /**
     * Whether something is at {@code p}, a broken symbolic link included: a link loop or a FIFO named
     * model.safetensors must be reported as such, not taken for a missing file.
     */
    private static boolean present(Path p) {
        return Files.exists(p) || Files.isSymbolicLink(p);
    }
}
