package dev.casa.vision;

import dev.casa.core.tensor.DType;
import dev.casa.vision.siglip.SiglipVisionConfig;
import dev.casa.core.tensor.Tensor;
import java.util.SplittableRandom;

/** Random vision tower + projector weights in the model-format names, in a chosen dtype. */
final class RandomSiglip {
    private RandomSiglip() {}

    static MapTensorStore weights(SiglipVisionConfig c, int projectorWidth, DType dtype, boolean postLayerNorm, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        MapTensorStore s = new MapTensorStore();
        int d = c.hiddenSize(), inter = c.intermediateSize(), p = c.patchSize(), ch = c.numChannels();
        String v = "vision_tower.vision_model.";
        s.put(make(v + "embeddings.patch_embedding.weight", dtype, rnd, 1.7 / Math.sqrt(ch * p * p), 0, d, ch, p, p));
        s.put(make(v + "embeddings.patch_embedding.bias", dtype, rnd, 0.1, 0, d));
        s.put(make(v + "embeddings.position_embedding.weight", dtype, rnd, 0.5, 0, c.numPatches(), d));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String l = v + "encoder.layers." + i + ".";
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                s.put(make(l + n + ".weight", dtype, rnd, 0.3, 1.0, d));
                s.put(make(l + n + ".bias", dtype, rnd, 0.1, 0, d));
            }
            for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                s.put(make(l + "self_attn." + n + ".weight", dtype, rnd, 1.7 / Math.sqrt(d), 0, d, d));
                s.put(make(l + "self_attn." + n + ".bias", dtype, rnd, 0.1, 0, d));
            }
            s.put(make(l + "mlp.fc1.weight", dtype, rnd, 1.7 / Math.sqrt(d), 0, inter, d));
            s.put(make(l + "mlp.fc1.bias", dtype, rnd, 0.1, 0, inter));
            s.put(make(l + "mlp.fc2.weight", dtype, rnd, 1.7 / Math.sqrt(inter), 0, d, inter));
            s.put(make(l + "mlp.fc2.bias", dtype, rnd, 0.1, 0, d));
        }
        if (postLayerNorm) {
            s.put(make(v + "post_layernorm.weight", dtype, rnd, 0.3, 1.0, d));
            s.put(make(v + "post_layernorm.bias", dtype, rnd, 0.1, 0, d));
        }
        String m = "multi_modal_projector.";
        s.put(make(m + "linear_1.weight", dtype, rnd, 1.7 / Math.sqrt(d), 0, projectorWidth, d));
        s.put(make(m + "linear_1.bias", dtype, rnd, 0.1, 0, projectorWidth));
        s.put(make(m + "linear_2.weight", dtype, rnd, 1.7 / Math.sqrt(projectorWidth), 0, projectorWidth, projectorWidth));
        s.put(make(m + "linear_2.bias", dtype, rnd, 0.1, 0, projectorWidth));
        return s;
    }

    /** Uniform values in center ± scale. */
    static Tensor make(String name, DType dtype, SplittableRandom rnd, double scale, double center, long... shape) {
        float[] values = new float[Math.toIntExact(Tensor.elementCount(shape))];
        for (int i = 0; i < values.length; i++) values[i] = (float) (center + scale * (2 * rnd.nextDouble() - 1));
        return switch (dtype) {
            case F32 -> Tensor.ofFloats(name, values, shape);
            case BF16 -> Tensor.ofBf16(name, values, shape);
            case F16 -> Tensor.ofF16(name, values, shape);
            default -> throw new IllegalArgumentException(dtype.toString());
        };
    }

    static float[] pixels(SiglipVisionConfig c, int images, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] px = new float[images * c.pixelsPerImage()];
        for (int i = 0; i < px.length; i++) px[i] = (float) (2 * rnd.nextDouble() - 1);
        return px;
    }
}
