package dev.casa.core.safetensors;

import dev.casa.core.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** One memory-mapped {@code .safetensors} file. TODO(foundation): implement. */
public final class SafetensorsFile implements TensorStore {

    /** Maps and validates the file; every malformation is a {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() { throw new UnsupportedOperationException(); }

    @Override public Set<String> names() { throw new UnsupportedOperationException(); }
    @Override public Optional<Tensor> find(String name) { throw new UnsupportedOperationException(); }
    @Override public String describe() { throw new UnsupportedOperationException(); }
    @Override public void close() { }
}
