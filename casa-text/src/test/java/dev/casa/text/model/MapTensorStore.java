package dev.casa.text.model;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** In-memory tensors for tests. */
public final class MapTensorStore implements TensorStore {
    private final Map<String, Tensor> tensors = new TreeMap<>();

    public MapTensorStore put(Tensor t) {
        tensors.put(t.name(), t);
        return this;
    }

    public MapTensorStore remove(String name) {
        tensors.remove(name);
        return this;
    }

    @Override public Set<String> names() { return tensors.keySet(); }
    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }
    @Override public String describe() { return "test-store"; }
    @Override public void close() { }
}
