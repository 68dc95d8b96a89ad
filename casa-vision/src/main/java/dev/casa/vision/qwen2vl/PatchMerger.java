package dev.casa.vision.qwen2vl;

import dev.casa.vision.Connector;
import dev.casa.vision.VisionFeatures;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.Activation;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.TensorBinder;

/**
 * HF {@code Qwen2_5_VLPatchMerger} / {@code PatchMerger}: {@code ln_q} over every token (RMSNorm for
 * Qwen2.5-VL, LayerNorm for Qwen2-VL, eps 1e-6), then each run of {@code merge²} consecutive tokens (one
 * merge unit) read as one row of {@code merge²·embed} floats (a free view), {@code mlp.0} → exact GELU →
 * {@code mlp.2}.
 */
public final class PatchMerger implements Connector {
    private final TokenNorm lnQ;
    private final Linear fc1;   // mlp.0 [merge²·embed, merge²·embed]
    private final Linear fc2;   // mlp.2 [out, merge²·embed]
    private final int mergeUnit;
    private final int merge;
    private final ThreadPool pool;

    private PatchMerger(TokenNorm lnQ, Linear fc1, Linear fc2, int merge, ThreadPool pool) {
        this.lnQ = lnQ;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.merge = merge;
        this.mergeUnit = merge * merge;
        this.pool = pool;
    }

    /** Binds {@code prefix + "ln_q"}, {@code prefix + "mlp.0"}, {@code prefix + "mlp.2"}. */
    static PatchMerger bind(TensorBinder binder, String prefix, Qwen2VisionConfig c, ThreadPool pool) {
        int wide = c.mergerWidth();
        return new PatchMerger(TokenNorm.bind(binder, prefix + "ln_q", c.embedDim(), c.variant()),
                binder.linear(prefix + "mlp.0", wide, wide, true),
                binder.linear(prefix + "mlp.2", c.outHiddenSize(), wide, true), c.spatialMergeSize(), pool);
    }

    @Override
    public int outputWidth() { return fc2.out(); }

    /**
     * Features whose rows come merge unit by merge unit (HF's patch order: each 2×2 unit's patches together,
     * units in raster order) → one embedding per unit, on the merged grid.
     */
    @Override
    public VisionFeatures connect(VisionFeatures features) {
        int rows = features.rows();
        if (features.width() * mergeUnit != fc1.in() || features.gridRows() % merge != 0 || features.gridCols() % merge != 0) {
            throw new IllegalArgumentException("the patch merger takes features of width " + fc1.in() / mergeUnit + " on grids that are"
                    + " multiples of " + merge + ", got width " + features.width() + " on " + features.gridRows() + "x" + features.gridCols());
        }
        float[] normed = new float[features.values().length];
        float[] wide = new float[normed.length];
        float[] out = new float[Math.multiplyExact(rows / mergeUnit, outputWidth())];
        forward(pool, features.values(), rows, normed, wide, out, 0);
        return new VisionFeatures(out, features.images(), features.tokens() / mergeUnit, outputWidth(),
                features.gridRows() / merge, features.gridCols() / merge);
    }

    /**
     * {@code tokens} rows of {@code hidden} (tokens a multiple of merge²) → {@code tokens / merge²} rows
     * of {@link #outputWidth} into {@code out} from {@code outOffset}. {@code normed} and {@code wide} each
     * hold {@code tokens · embed} floats.
     */
    void forward(ThreadPool pool, float[] hidden, int tokens, float[] normed, float[] wide, float[] out, int outOffset) {
        int units = tokens / mergeUnit;
        lnQ.forward(pool, hidden, tokens, normed);
        fc1.forward(pool, normed, units, wide);
        Activation.GELU.apply(pool, wide, 0, units, fc1.out());
        fc2.forward(pool, wide, 0, units, out, outOffset);
    }
}
