package dev.casa.text.lm;

import dev.casa.core.nn.Linear;
import dev.casa.core.nn.TensorBinder;

/** The q/k/v/o projections of an attention block (HF {@code self_attn}, and our {@code casa_attn}). */
public record AttentionProjections(Linear q, Linear k, Linear v, Linear o) {

    /**
     * Binds {@code prefix + "q_proj"} etc.: q/k/v with biases when {@code qkvBias}; o_proj's bias is read
     * whenever the checkpoint has one (Llama with attention_bias has it, Qwen2 never).
     */
    static AttentionProjections bind(TensorBinder b, String prefix, TextConfig t) {
        int d = t.hiddenSize();
        boolean bias = t.attentionBias();
        return new AttentionProjections(
                b.linear(prefix + "q_proj", t.queryDim(), d, bias),
                b.linear(prefix + "k_proj", t.kvDim(), d, bias),
                b.linear(prefix + "v_proj", t.kvDim(), d, bias),
                b.linearOptionalBias(prefix + "o_proj", d, t.queryDim()));
    }

    /** The same projections under {@code prefix} of another block (public for fusion layers). */
    public static AttentionProjections bindLike(TensorBinder b, String prefix, TextConfig t) {
        return bind(b, prefix, t);
    }
}
