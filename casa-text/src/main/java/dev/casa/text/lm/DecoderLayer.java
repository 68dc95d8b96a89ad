package dev.casa.text.lm;

import dev.casa.core.nn.GatedMlp;
import dev.casa.core.nn.RmsNorm;
import dev.casa.core.nn.TensorBinder;

/** One HF Llama/Qwen2/Helium decoder layer: pre-norm self-attention and pre-norm gated MLP. */
public record DecoderLayer(RmsNorm inputLayernorm, AttentionProjections selfAttn,
                           RmsNorm postAttentionLayernorm, GatedMlp mlp) {

    static DecoderLayer bind(TensorBinder b, String p, TextConfig t) {
        int d = t.hiddenSize(), inter = t.intermediateSize();
        return new DecoderLayer(
                b.rmsNorm(p + "input_layernorm.weight", d, t.rmsNormEps()),
                AttentionProjections.bind(b, p + "self_attn.", t),
                b.rmsNorm(p + "post_attention_layernorm.weight", d, t.rmsNormEps()),
                new GatedMlp(b.linear(p + "mlp.gate_proj", inter, d, t.mlpBias()),
                        b.linear(p + "mlp.up_proj", inter, d, t.mlpBias()),
                        b.linear(p + "mlp.down_proj", d, inter, t.mlpBias()),
                        t.activation()));
    }
}
