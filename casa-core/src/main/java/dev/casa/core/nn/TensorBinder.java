package dev.casa.core.nn;

import dev.casa.core.config.ModelFormatException;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Binds a model's tensors by name, once, at load: each must exist with exactly the expected shape
 * and a format readable as float (F32, F16, BF16, or a block format such as Q8_0); errors name the
 * tensor, the store, and what was expected and found. Afterwards {@link #rejectUnused} looks at what
 * was not bound, so a misspelt or misplaced tensor is an error rather than silently ignored.
 *
 * <p>Matrices pass through a {@link MatrixPolicy} that may replace them, told what each is for
 * ({@link MatrixUse}): this is how a loader quantizes the Linear layers of a model in memory without
 * the model's code knowing. Vectors (norm weights, biases) and other tensors are handed out as stored.
 */
public final class TensorBinder {

    /** What a bound matrix is used for, so that a {@link MatrixPolicy} can treat each kind its own way. */
    public enum MatrixUse {
        /** The weight {@code [out, in]} of a Linear layer. */
        LINEAR,
        /** The output head {@code [vocab, d]} (lm_head), when it is its own tensor. */
        OUTPUT_HEAD,
        /** The embedding table when the output head is tied to it: rows are looked up, and it is the head. */
        TIED_EMBEDDING,
        /** An embedding table: rows are looked up, never multiplied. */
        EMBEDDING,
        /** Any other matrix. */
        OTHER
    }

    /** Replaces a bound matrix at load (for example by a quantized copy); {@link #AS_STORED} keeps it. */
    @FunctionalInterface
    public interface MatrixPolicy {
        MatrixPolicy AS_STORED = (tensor, use) -> tensor;

        /** The tensor to use for {@code tensor} (already checked: the expected shape, readable as float). */
        Tensor apply(Tensor tensor, MatrixUse use);
    }

    private final TensorStore store;
    private final MatrixPolicy policy;
    private final Set<String> bound = new LinkedHashSet<>();
    /** Optional names asked for but absent: candidates for the misspelling hint. */
    private final Set<String> absentOptional = new LinkedHashSet<>();

    public TensorBinder(TensorStore store) {
        this(store, MatrixPolicy.AS_STORED);
    }

    /** A binder whose matrices pass through {@code policy}. */
    public TensorBinder(TensorStore store, MatrixPolicy policy) {
        this.store = store;
        this.policy = java.util.Objects.requireNonNull(policy, "policy");
    }

    public TensorStore store() { return store; }

    /** The tensor {@code name} with exactly {@code shape}. */
    public Tensor tensor(String name, long... shape) {
        bound.add(name);
        Optional<Tensor> found = store.find(name);
        if (found.isEmpty()) {
            throw new ModelFormatException("tensor '" + name + "' missing from " + store.describe()
                    + " (expected shape " + Arrays.toString(shape) + ")");
        }
        return check(found.get(), shape);
    }

    /** The tensor when present (checked as {@link #tensor}), else null. */
    public Tensor optionalTensor(String name, long... shape) {
        if (store.find(name).isEmpty()) {
            absentOptional.add(name);
            return null;
        }
        return tensor(name, shape);
    }

    public boolean has(String name) {
        return store.find(name).isPresent();
    }

    /** A 2-D weight {@code [rows, cols]} ({@link MatrixUse#OTHER}). */
    public Tensor matrix(String name, int rows, int cols) {
        return matrix(name, rows, cols, MatrixUse.OTHER);
    }

    /** A 2-D weight {@code [rows, cols]} used as {@code use}, as the binder's {@link MatrixPolicy} returns it. */
    public Tensor matrix(String name, int rows, int cols, MatrixUse use) {
        return policy.apply(tensor(name, rows, cols), use);
    }

    /** A 1-D tensor (norm weight, bias) widened to float. */
    public float[] vector(String name, int length) {
        return tensor(name, length).toFloatArray();
    }

    public float[] optionalVector(String name, int length) {
        Tensor t = optionalTensor(name, length);
        return t == null ? null : t.toFloatArray();
    }

    /** {@code prefix.weight [out, in]} and, when {@code bias}, {@code prefix.bias [out]}. */
    public Linear linear(String prefix, int out, int in, boolean bias) {
        Tensor w = matrix(prefix + ".weight", out, in, MatrixUse.LINEAR);
        return new Linear(w, bias ? vector(prefix + ".bias", out) : null);
    }

    /** {@code prefix.weight [out, in]} with {@code prefix.bias} read whenever the checkpoint has one. */
    public Linear linearOptionalBias(String prefix, int out, int in) {
        Tensor w = matrix(prefix + ".weight", out, in, MatrixUse.LINEAR);
        return new Linear(w, optionalVector(prefix + ".bias", out));
    }

    public RmsNorm rmsNorm(String name, int width, double eps) {
        return new RmsNorm(vector(name, width), (float) eps);
    }

    /** {@code prefix.weight} and {@code prefix.bias}, both {@code [width]}. */
    public LayerNorm layerNorm(String prefix, int width, double eps) {
        return new LayerNorm(vector(prefix + ".weight", width), vector(prefix + ".bias", width), (float) eps);
    }

    /** Marks a tensor as used without binding it (e.g. a stored copy HF ignores). */
    public void accept(String name) {
        bound.add(name);
    }

    /** Names bound so far. */
    public Set<String> bound() { return Set.copyOf(bound); }

    /**
     * Looks at every tensor of the store that was not bound: {@code problem} returns why it is wrong
     * (an error is thrown naming it) or null to let it pass. A name within edit distance 2 of a bound
     * or optional name is reported as a likely misspelling whatever {@code problem} says.
     */
    public void rejectUnused(Function<String, String> problem) {
        for (String name : store.names()) {
            if (bound.contains(name)) continue;
            String why = problem.apply(name);
            if (why == null) {
                String near = nearest(name);
                if (near != null) why = "looks like a misspelling of expected tensor '" + near + "'";
            }
            if (why != null) throw new ModelFormatException("unexpected tensor '" + name + "' in " + store.describe() + ": " + why);
        }
    }

    /** The bound or optional name within edit distance 2 of {@code name}, or null. */
    public String nearest(String name) {
        String best = null;
        int bestDistance = 3;
        List<String> candidates = new ArrayList<>(bound);
        candidates.addAll(absentOptional);
        candidates.sort(null);
        for (String e : candidates) {
            int dist = EditDistance.bounded(name, e, 2);
            if (dist < bestDistance) {
                bestDistance = dist;
                best = e;
            }
        }
        return best;
    }

    private Tensor check(Tensor t, long[] shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new ModelFormatException("tensor '" + t.name() + "' in " + store.describe() + ": expected shape "
                    + Arrays.toString(shape) + ", found " + Arrays.toString(t.shape()));
        }
        if (!t.format().readableAsFloat()) {
            throw new ModelFormatException("tensor '" + t.name() + "' in " + store.describe()
                    + ": expected dtype F32, F16 or BF16 (or a quantized format, Q8_0 or Q4_0), found " + t.format());
        }
        return t;
    }
}
