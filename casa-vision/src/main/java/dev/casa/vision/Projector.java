package dev.casa.vision;

import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.Mlp;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Tensor;
import java.util.Arrays;

/**
 * The LLaVA multi-modal projector {@code e = linear_2(act(linear_1(v)))}: vision features of
 * width D to image embeddings of the text width d. Immutable and thread-safe.
 */
public final class Projector implements Connector {
    static final String PREFIX = "multi_modal_projector.";

    private final Mlp mlp;
    private final ThreadPool pool;

    private Projector(Mlp mlp, ThreadPool pool) {
        this.mlp = mlp;
        this.pool = pool;
    }

    /** Binds {@code multi_modal_projector.*}; d comes from linear_1 and must match text_config.hidden_size if given. */
    static Projector bind(VisionModelConfig config, TensorBinder binder, ThreadPool pool) {
        int features = config.vision().hiddenSize();
        String w1 = PREFIX + "linear_1.weight";
        Tensor first = binder.store().find(w1).orElseThrow(() -> new ModelFormatException("tensor '" + w1 + "' missing from "
                + binder.store().describe() + " (expected shape [d, " + features + "])"));
        int d = first.rank() == 2 ? Math.toIntExact(first.dim(0)) : -1;
        if (d <= 0) {
            throw new ModelFormatException("tensor '" + w1 + "' in " + binder.store().describe() + ": expected shape [d, "
                    + features + "], found " + Arrays.toString(first.shape()));
        }
        if (config.textHiddenSize().isPresent()) d = config.textHiddenSize().getAsInt();
        return new Projector(new Mlp(binder.linear(PREFIX + "linear_1", d, features, true),
                binder.linear(PREFIX + "linear_2", d, d, true), config.projectorAct()), pool);
    }

    /** Output width d (the text hidden size). */
    int outputSize() { return mlp.fc2().out(); }

    @Override
    public int outputWidth() { return outputSize(); }

    /** Every feature row projected: the same images and grid, width d. */
    @Override
    public VisionFeatures connect(VisionFeatures features) {
        if (features.width() != mlp.fc1().in()) {
            throw new IllegalArgumentException("the projector takes features of width " + mlp.fc1().in() + ", got " + features.width());
        }
        int rows = features.rows(), d = outputSize();
        float[] hidden = new float[Math.multiplyExact(rows, d)];
        float[] out = new float[hidden.length];
        forward(pool, features.values(), rows, hidden, out, 0);
        return new VisionFeatures(out, features.images(), features.tokens(), d, features.gridRows(), features.gridCols());
    }

    /** {@code out[rows, d] = linear_2(act(linear_1(in[rows, D])))}; {@code hidden} holds rows·d floats of scratch. */
    void forward(ThreadPool pool, float[] in, int rows, float[] hidden, float[] out, int outOffset) {
        mlp.fc1().forward(pool, in, 0, rows, hidden, 0);
        mlp.act().apply(pool, hidden, 0, rows, outputSize());
        mlp.fc2().forward(pool, hidden, 0, rows, out, outOffset);
    }
}
