package dev.casa.text.model;

import dev.casa.core.kernels.RopeStyle;
import java.util.List;

/**
 * {@code text_config} of config.json: an HF Helium/Llama-family decoder (model-format.md §2).
 * Keys absent from the file take the HF default of {@code model_type} (Helium's, else Llama's).
 *
 * @param eosTokenIds empty when absent
 */
public record TextConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        HiddenAct hiddenAct,
        double rmsNormEps,
        double ropeTheta,
        RopeStyle ropeStyle,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId) {

    /** Width of the query projection, {@code H * head_dim}. */
    public int queryDim() { return numAttentionHeads * headDim; }

    /** Width of the key and value projections, {@code KV * head_dim}. */
    public int kvDim() { return numKeyValueHeads * headDim; }

    static TextConfig parse(JsonFields f) {
        String modelType = f.optString("model_type", "helium");
        boolean helium = modelType.equals("helium");
        int vocab = f.positiveInt("vocab_size");
        int hidden = f.positiveInt("hidden_size");
        int intermediate = f.positiveInt("intermediate_size");
        int layers = f.positiveInt("num_hidden_layers");
        int heads = f.positiveInt("num_attention_heads");
        int kvHeads = f.optInt("num_key_value_heads", heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw f.error("num_key_value_heads", "must be positive and divide num_attention_heads="
                    + heads + ", found " + kvHeads);
        }
        int headDim;
        if (f.has("head_dim")) {
            headDim = f.positiveInt("head_dim");
        } else {
            if (hidden % heads != 0) {
                throw f.error("head_dim", "missing, and hidden_size=" + hidden
                        + " is not a multiple of num_attention_heads=" + heads);
            }
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0) throw f.error("head_dim", "RoPE needs an even head_dim, found " + headDim);
        HiddenAct act;
        String actName = f.optString("hidden_act", "silu");
        try {
            act = HiddenAct.parse(actName);
        } catch (IllegalArgumentException e) {
            throw f.error("hidden_act", e.getMessage());
        }
        double eps = f.optDouble("rms_norm_eps", helium ? 1e-8 : 1e-6);
        if (!(eps > 0)) throw f.error("rms_norm_eps", "expected a positive number, found " + eps);
        double theta = f.optDouble("rope_theta", helium ? 100000.0 : 10000.0);
        if (!(theta > 0)) throw f.error("rope_theta", "expected a positive number, found " + theta);
        RopeStyle rope;
        if (f.has("rope_style")) {
            try {
                rope = RopeStyle.parse(f.requiredString("rope_style"));
            } catch (IllegalArgumentException e) {
                throw f.error("rope_style", e.getMessage());
            }
        } else {
            rope = helium ? RopeStyle.INTERLEAVED : RopeStyle.HALF;
        }
        // Keys that change the computation in ways this decoder does not implement: refuse rather than degrade.
        if (f.has("rope_scaling")) {
            throw f.error("rope_scaling", "not supported (plain RoPE only), found " + JsonFields.describe(f.node().get("rope_scaling")));
        }
        if (f.optBoolean("use_sliding_window", false)) throw f.error("use_sliding_window", "sliding-window attention is not supported");
        int maxPos = f.optInt("max_position_embeddings", helium ? 4096 : 2048);
        if (maxPos <= 0) throw f.error("max_position_embeddings", "expected a positive integer, found " + maxPos);
        boolean tie = f.optBoolean("tie_word_embeddings", false);
        // Qwen2 has no attention_bias key: its q/k/v projections always have a bias.
        boolean attnBias = f.optBoolean("attention_bias", modelType.equals("qwen2"));
        boolean mlpBias = f.optBoolean("mlp_bias", false);
        Integer bos = f.optInteger("bos_token_id");
        List<Integer> eos = f.intOrIntList("eos_token_id");
        Integer pad = f.optInteger("pad_token_id");
        return new TextConfig(modelType, vocab, hidden, intermediate, layers, heads, kvHeads, headDim, act,
                eps, theta, rope, maxPos, tie, attnBias, mlpBias, bos, eos, pad);
    }
}
