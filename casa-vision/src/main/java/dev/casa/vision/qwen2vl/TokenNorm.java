package dev.casa.vision.qwen2vl;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.LayerNorm;
import dev.casa.core.nn.RmsNorm;
import dev.casa.core.nn.TensorBinder;

/** A per-token norm of the tower: core's RmsNorm (Qwen2.5-VL) or LayerNorm (Qwen2-VL), rows split across the pool. */
interface TokenNorm {
    /** Normalizes {@code rows} rows of {@code input} into {@code output} (may be the same array). */
    void forward(ThreadPool pool, float[] input, int rows, float[] output);

    /** {@code name.weight} (RMSNorm) or {@code name.weight} + {@code name.bias} (LayerNorm), eps 1e-6. */
    static TokenNorm bind(TensorBinder binder, String name, int width, Qwen2VisionConfig.Variant variant) {
        if (variant == Qwen2VisionConfig.Variant.QWEN2_5_VL) {
            RmsNorm norm = binder.rmsNorm(name + ".weight", width, Qwen2VisionConfig.NORM_EPS);
            return norm::forward;
        }
        LayerNorm norm = binder.layerNorm(name, width, Qwen2VisionConfig.NORM_EPS);
        return norm::forward;
    }
}
