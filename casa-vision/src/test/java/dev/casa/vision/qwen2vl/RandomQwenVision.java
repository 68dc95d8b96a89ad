package dev.casa.vision.qwen2vl;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.Collections;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Random tower weights with the fixtures' statistics (weights ~ 1/√fan_in, biases ±0.1, norm scales 1 ± 0.1). */
final class RandomQwenVision {
    private RandomQwenVision() {}

    /** In-memory tensors standing in for a safetensors file. */
    static final class Store implements TensorStore {
        final TreeMap<String, Tensor> tensors = new TreeMap<>();

        Store put(Tensor t) {
            tensors.put(t.name(), t);
            return this;
        }

        @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
        @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }
        @Override public String describe() { return "random-store"; }
        @Override public void close() { }
    }

    static Store weights(Qwen2VisionConfig c, String prefix, long seed, boolean bf16) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Store s = new Store();
        boolean v25 = c.variant() == Qwen2VisionConfig.Variant.QWEN2_5_VL;
        int d = c.embedDim(), inter = c.intermediateSize(), wide = c.mergerWidth();
        s.put(t(prefix + "patch_embed.proj.weight", rnd, 1 / Math.sqrt(c.patchVectorSize()), 0, bf16,
                d, c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize()));
        for (int i = 0; i < c.depth(); i++) {
            String b = prefix + "blocks." + i + ".";
            norm(s, rnd, b + "norm1", d, v25);
            norm(s, rnd, b + "norm2", d, v25);
            linear(s, rnd, b + "attn.qkv", 3 * d, d, bf16);
            linear(s, rnd, b + "attn.proj", d, d, bf16);
            if (v25) {
                linear(s, rnd, b + "mlp.gate_proj", inter, d, bf16);
                linear(s, rnd, b + "mlp.up_proj", inter, d, bf16);
                linear(s, rnd, b + "mlp.down_proj", d, inter, bf16);
            } else {
                linear(s, rnd, b + "mlp.fc1", inter, d, bf16);
                linear(s, rnd, b + "mlp.fc2", d, inter, bf16);
            }
        }
        norm(s, rnd, prefix + "merger.ln_q", d, v25);
        linear(s, rnd, prefix + "merger.mlp.0", wide, wide, bf16);
        linear(s, rnd, prefix + "merger.mlp.2", c.outHiddenSize(), wide, bf16);
        return s;
    }

    static float[] pixels(int rows, int width, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] p = new float[rows * width];
        for (int i = 0; i < p.length; i++) p[i] = (float) (rnd.nextDouble() * 4 - 2);
        return p;
    }

    private static void norm(Store s, SplittableRandom rnd, String name, int d, boolean rms) {
        s.put(t(name + ".weight", rnd, 0.1, 1, false, d));
        if (!rms) s.put(t(name + ".bias", rnd, 0.1, 0, false, d));
    }

    private static void linear(Store s, SplittableRandom rnd, String name, int out, int in, boolean bf16) {
        s.put(t(name + ".weight", rnd, Math.sqrt(3.0 / in), 0, bf16, out, in));
        s.put(t(name + ".bias", rnd, 0.1, 0, false, out));
    }

    private static Tensor t(String name, SplittableRandom rnd, double scale, double center, boolean bf16, long... shape) {
        float[] v = new float[Math.toIntExact(Tensor.elementCount(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (center + scale * (2 * rnd.nextDouble() - 1));
        return bf16 ? Tensor.ofBf16(name, v, shape) : Tensor.ofFloats(name, v, shape);
    }
}
