package dev.casa.vision;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/** Fetches tensors by name and checks shape and dtype, with errors naming tensor, expected and found. */
final class TensorChecker {
    private final TensorStore store;
    private final Set<String> expected = new LinkedHashSet<>();

    TensorChecker(TensorStore store) { this.store = store; }

    /** The tensor {@code name}, which must exist with exactly {@code shape} and a float dtype. */
    Tensor require(String name, long... shape) {
        expected.add(name);
        Tensor t = store.find(name).orElseThrow(() -> new VisionModelException(
                "missing tensor '" + name + "' (expected shape " + Arrays.toString(shape) + ") in " + store.describe()));
        return check(t, name, shape);
    }

    /** Like {@link #require} when the tensor is present; null when it is absent. */
    Tensor optional(String name, long... shape) {
        expected.add(name);
        return store.find(name).map(t -> check(t, name, shape)).orElse(null);
    }

    /** Widened copy of a small 1-D tensor (bias, norm weight). */
    float[] vector(String name, int length) {
        return require(name, length).toFloatArray();
    }

    /**
     * Fails on any tensor under {@code prefix} that was not asked for and is not ignorable: an
     * unused tensor there is most likely a misspelt or extra layer.
     */
    void rejectUnexpected(String prefix, Set<String> ignoredPrefixes) {
        for (String name : store.names()) {
            if (!name.startsWith(prefix) || expected.contains(name)) continue;
            String rest = name.substring(prefix.length());
            if (ignoredPrefixes.stream().anyMatch(rest::startsWith)) continue;
            throw new VisionModelException("unexpected tensor '" + name + "' in " + store.describe()
                    + " (not part of the vision tower/projector layout in the model format: a typo or an extra layer?)");
        }
    }

    private Tensor check(Tensor t, String name, long[] shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new VisionModelException("tensor '" + name + "' in " + store.describe() + ": expected shape "
                    + Arrays.toString(shape) + ", found " + Arrays.toString(t.shape()));
        }
        if (!t.dtype().readableAsFloat()) {
            throw new VisionModelException("tensor '" + name + "' in " + store.describe()
                    + ": expected dtype F32, F16 or BF16, found " + t.dtype());
        }
        return t;
    }
}
