package dev.casa.bench.vision;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** Heap tensors behind the {@link TensorStore} interface, for benchmarks on generated weights. */
final class InMemoryTensorStore implements TensorStore {
    private final TreeMap<String, Tensor> tensors = new TreeMap<>();

    void put(Tensor t) { tensors.put(t.name(), t); }

    long bytes() { return tensors.values().stream().mapToLong(t -> t.data().byteSize()).sum(); }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }
    @Override public String describe() { return "generated weights"; }
    @Override public void close() { }
}
