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

    /** Where the tensors come from (a path), for error messages. */
    String describe();

    @Override
    void close();
}
