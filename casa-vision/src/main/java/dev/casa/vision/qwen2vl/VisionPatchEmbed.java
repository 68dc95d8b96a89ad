package dev.casa.vision.qwen2vl;

import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Tensor;

/**
 * HF {@code Qwen2_5_VisionPatchEmbed} / {@code PatchEmbed}: a Conv3d with kernel = stride =
 * {@code [T, P, P]} and no bias over each patch, i.e. one GEMM. A {@code pixel_values} row is one patch
 * flattened in (C, T, P, P) order, the flatten order of the Conv3d weight {@code [embed, C, T, P, P]};
 * so the weight viewed as {@code [embed, C·T·P·P]} (the same bytes) times each row is the conv output.
 */
public final class VisionPatchEmbed {
    private final Tensor weight;   // [embed, C·T·P·P]

    VisionPatchEmbed(Tensor weight) {
        this.weight = weight;
    }

    /** Binds {@code name} = {@code [embed, C, T, P, P]}. */
    static VisionPatchEmbed bind(TensorBinder binder, String name, Qwen2VisionConfig c) {
        Tensor conv = binder.tensor(name, c.embedDim(), c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize());
        return new VisionPatchEmbed(new Tensor(conv.name(), conv.format(),
                new long[] {c.embedDim(), c.patchVectorSize()}, conv.data()));
    }

    public int embedDim() { return weight.rows(); }

    /** Floats per patch row: C·T·P·P. */
    public int patchVectorSize() { return weight.cols(); }

    /** {@code rows} patch rows of {@code pixels} from {@code offset} → {@code rows × embed} into {@code out}. */
    public void forward(ThreadPool pool, float[] pixels, int offset, int rows, float[] out) {
        Matmul.matmul(pool, pixels, offset, rows, weight, null, out, 0);
    }
}
