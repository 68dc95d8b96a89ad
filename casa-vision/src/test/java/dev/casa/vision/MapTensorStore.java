package dev.casa.vision;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** In-memory tensors standing in for a safetensors file. */
final class MapTensorStore implements TensorStore {
    final TreeMap<String, Tensor> tensors = new TreeMap<>();

    MapTensorStore put(Tensor t) {
        tensors.put(t.name(), t);
        return this;
    }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }
    @Override public String describe() { return "test-store"; }
    @Override public void close() { }
}
