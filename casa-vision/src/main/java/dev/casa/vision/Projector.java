package dev.casa.vision;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Set;

/**
 * The LLaVA multi-modal projector {@code e = linear_2(act(linear_1(v)))}: vision features of
 * width D to image embeddings of the text width d. Immutable and thread-safe.
 */
final class Projector {
    static final String PREFIX = "multi_modal_projector.";

    private final Tensor linear1, linear2;
    private final float[] bias1, bias2;
    private final HiddenAct act;

    private Projector(Tensor linear1, float[] bias1, Tensor linear2, float[] bias2, HiddenAct act) {
        this.linear1 = linear1;
        this.bias1 = bias1;
        this.linear2 = linear2;
        this.bias2 = bias2;
        this.act = act;
    }

    /** Loads and checks {@code multi_modal_projector.*}; d comes from linear_1 and must match text_config.hidden_size if given. */
    static Projector load(VisionModelConfig config, TensorStore store) {
        String w1 = PREFIX + "linear_1.weight";
        Tensor first = store.find(w1).orElseThrow(() -> new VisionModelException("missing tensor '" + w1
                + "' (expected shape [d, " + config.vision().hiddenSize() + "]) in " + store.describe()));
        if (first.rank() != 2) {
            throw new VisionModelException("tensor '" + w1 + "' in " + store.describe() + ": expected rank 2 [d, "
                    + config.vision().hiddenSize() + "], found shape " + java.util.Arrays.toString(first.shape()));
        }
        int d = Math.toIntExact(first.dim(0));
        if (config.textHiddenSize().isPresent() && config.textHiddenSize().getAsInt() != d) {
            throw new VisionModelException("tensor '" + w1 + "' in " + store.describe() + ": expected shape ["
                    + config.textHiddenSize().getAsInt() + ", " + config.vision().hiddenSize()
                    + "] (text_config.hidden_size), found " + java.util.Arrays.toString(first.shape()));
        }
        TensorChecker c = new TensorChecker(store);
        Projector p = new Projector(
                c.require(w1, d, config.vision().hiddenSize()), c.vector(PREFIX + "linear_1.bias", d),
                c.require(PREFIX + "linear_2.weight", d, d), c.vector(PREFIX + "linear_2.bias", d),
                config.projectorAct());
        c.rejectUnexpected(PREFIX, Set.of());
        return p;
    }

    /** Output width d (the text hidden size). */
    int outputSize() { return linear2.rows(); }

    /** Input width D (the vision hidden size). */
    int inputSize() { return linear1.cols(); }

    /** {@code out[rows, d] = linear_2(act(linear_1(in[rows, D])))}; {@code hidden} holds rows·d floats of scratch. */
    void forward(ThreadPool pool, float[] in, int inOffset, int rows, float[] hidden, float[] out, int outOffset) {
        Matmul.matmul(pool, in, inOffset, rows, linear1, bias1, hidden, 0);
        act.apply(pool, hidden, 0, rows, outputSize());
        Matmul.matmul(pool, hidden, 0, rows, linear2, bias2, out, outOffset);
    }
}
