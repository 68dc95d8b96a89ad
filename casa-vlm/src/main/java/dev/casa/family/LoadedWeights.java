package dev.casa.family;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A model's tensors as it runs them: the stored ones, except those quantized in memory at load, which
 * this view returns instead (same names and shapes, another format). Closing it closes the stored files.
 */
public final class LoadedWeights implements TensorStore {
    private final TensorStore stored;
    private final Map<String, Tensor> replaced;

    public LoadedWeights(TensorStore stored, Map<String, Tensor> replaced) {
        this.stored = stored;
        this.replaced = Map.copyOf(replaced);
    }

    /** The files as loaded, before quantization. */
    public TensorStore stored() { return stored; }

    /** Whether {@code name} was quantized at load. */
    public boolean quantizedAtLoad(String name) { return replaced.containsKey(name); }

    @Override public Set<String> names() { return stored.names(); }

    @Override
    public Optional<Tensor> find(String name) {
        Tensor t = replaced.get(name);
        return t != null ? Optional.of(t) : stored.find(name);
    }

    @Override public void checkIntact() { stored.checkIntact(); }

    @Override public String describe() { return stored.describe(); }

    @Override public void close() { stored.close(); }
}
