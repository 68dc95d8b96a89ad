package dev.casa.vision;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * The checked weights of a SigLIP vision tower (model format §3). Matmul weights stay as
 * (memory-mapped) tensors; small vectors are widened to float arrays once.
 */
record SiglipWeights(Tensor patchWeight, float[] patchBias, float[] positionEmbedding,
                     List<Layer> layers, float[] postNormWeight, float[] postNormBias) {

    static final String PREFIX = "vision_tower.vision_model.";

    /** One pre-LN encoder layer. */
    record Layer(float[] norm1Weight, float[] norm1Bias,
                 Tensor q, float[] qBias, Tensor k, float[] kBias, Tensor v, float[] vBias, Tensor out, float[] outBias,
                 float[] norm2Weight, float[] norm2Bias,
                 Tensor fc1, float[] fc1Bias, Tensor fc2, float[] fc2Bias) {}

    /**
     * Loads every tensor of the tower, checking names, shapes and dtypes. Every layer is checked
     * even when the features stop earlier; the post-layernorm is required only when used.
     */
    static SiglipWeights load(VisionModelConfig config, TensorStore store) {
        TensorChecker c = new TensorChecker(store);
        VisionConfig vc = config.vision();
        int d = vc.hiddenSize(), inter = vc.intermediateSize(), p = vc.patchSize(), ch = vc.numChannels();
        int n = vc.numPatches();
        String e = PREFIX + "embeddings.";
        Tensor conv = c.require(e + "patch_embedding.weight", d, ch, p, p);
        // The conv kernel [D, C, p, p] read as the Linear weight [D, C·p·p] of the im2col GEMM.
        Tensor patchWeight = new Tensor(conv.name(), conv.dtype(), new long[] {d, (long) ch * p * p}, conv.data());
        float[] patchBias = c.vector(e + "patch_embedding.bias", d);
        float[] pos = c.require(e + "position_embedding.weight", n, d).toFloatArray();

        Layer[] layers = new Layer[vc.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String l = PREFIX + "encoder.layers." + i + ".";
            String a = l + "self_attn.";
            layers[i] = new Layer(
                    c.vector(l + "layer_norm1.weight", d), c.vector(l + "layer_norm1.bias", d),
                    c.require(a + "q_proj.weight", d, d), c.vector(a + "q_proj.bias", d),
                    c.require(a + "k_proj.weight", d, d), c.vector(a + "k_proj.bias", d),
                    c.require(a + "v_proj.weight", d, d), c.vector(a + "v_proj.bias", d),
                    c.require(a + "out_proj.weight", d, d), c.vector(a + "out_proj.bias", d),
                    c.vector(l + "layer_norm2.weight", d), c.vector(l + "layer_norm2.bias", d),
                    c.require(l + "mlp.fc1.weight", inter, d), c.vector(l + "mlp.fc1.bias", inter),
                    c.require(l + "mlp.fc2.weight", d, inter), c.vector(l + "mlp.fc2.bias", d));
        }

        String post = PREFIX + "post_layernorm.";
        Tensor postW, postB;
        if (config.usesPostLayerNorm()) {
            postW = c.require(post + "weight", d);
            postB = c.require(post + "bias", d);
        } else {
            postW = c.optional(post + "weight", d);
            postB = c.optional(post + "bias", d);
        }
        // head.* is SigLIP's pooling head; position_ids is a buffer older HF checkpoints saved.
        c.rejectUnexpected(PREFIX, Set.of("head.", "embeddings.position_ids"));
        return new SiglipWeights(patchWeight, patchBias, pos, List.of(layers),
                postW == null ? null : postW.toFloatArray(), postB == null ? null : postB.toFloatArray());
    }
}
