package dev.casa.core.safetensors;

import java.nio.file.Path;

/** Opens the weights of a model directory: {@code model.safetensors} or a sharded index. */
public final class ModelWeights {
    private ModelWeights() {}

    /**
     * {@code dir/model.safetensors}, or the shards listed by {@code dir/model.safetensors.index.json}
     * (the index is authoritative: a tensor it names must be in that shard). TODO(foundation).
     */
    public static TensorStore open(Path dir) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
