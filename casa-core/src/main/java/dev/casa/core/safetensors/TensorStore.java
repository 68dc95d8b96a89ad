package dev.casa.core.safetensors;

import dev.casa.core.tensor.Tensor;
import java.util.Optional;
import java.util.Set;

/** Named tensors from one file or a sharded model; closing it unmaps the files. */
public interface TensorStore extends AutoCloseable {

    /** All tensor names (sorted). */
    Set<String> names();

    /** The tensor, if present. */
    Optional<Tensor> find(String name);

    /** The tensor, or a {@link SafetensorsException} naming the missing tensor and the source. */
    default Tensor get(String name) {
        return find(name).orElseThrow(() -> new SafetensorsException(
                "tensor '" + name + "' not found in " + describe()));
    }

    /**
     * Checks that the files behind the tensors did not change on disk since they were loaded, without
     * reading the tensors. Call it before each request (and, for long requests, between steps): a
     * memory-mapped file truncated by another process (a re-download, {@code cp} onto it) kills the
     * JVM with SIGBUS on the next read; after this check the model can be reloaded instead. The check
     * cannot close the window of a change during a request (see docs/reliability.md).
     * Stores that hold their tensors in memory have nothing to check.
     *
     * @throws ModelFileChangedException if a file was resized, modified, replaced or removed
     */
    default void checkIntact() {}

    /** Where the tensors come from (a path), for error messages. */
    String describe();

    @Override
    void close();
}
