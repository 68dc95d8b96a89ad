package dev.casa.text.lm;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.ConfigValueException;
import dev.casa.core.kernels.RopeStyle;
import dev.casa.core.nn.Activation;
import dev.casa.core.nn.RotaryEmbedding;
import java.util.List;
import java.util.Set;

/**
 * An HF Llama-family text config (LlamaConfig, HeliumConfig, Qwen2Config, and the text part of
 * Qwen2-VL / Qwen2.5-VL configs), bound by Jackson. The shape keys are required; every other key
 * absent from the file takes the HF default of its {@code model_type}. What this decoder does not
 * implement (sliding windows, unknown rope scaling) is refused, not approximated.
 *
 * <p>{@code rope_style} is ours (model-format.md): {@code half} (rotate_half pairs) or {@code interleaved}
 * (Helium's pairs); the default follows the model type.
 */
public record TextConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("vocab_size") Integer vocabSize,
        @JsonProperty("hidden_size") Integer hiddenSize,
        @JsonProperty("intermediate_size") Integer intermediateSize,
        @JsonProperty("num_hidden_layers") Integer numHiddenLayers,
        @JsonProperty("num_attention_heads") Integer numAttentionHeads,
        @JsonProperty("num_key_value_heads") Integer numKeyValueHeads,
        @JsonProperty("head_dim") Integer headDim,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("rms_norm_eps") Double rmsNormEps,
        @JsonProperty("rope_theta") Double ropeTheta,
        @JsonProperty("rope_scaling") RopeScaling ropeScaling,
        @JsonProperty("rope_style") String ropeStyle,
        @JsonProperty("max_position_embeddings") Integer maxPositionEmbeddings,
        @JsonProperty("tie_word_embeddings") Boolean tieWordEmbeddings,
        @JsonProperty("attention_bias") Boolean attentionBias,
        @JsonProperty("mlp_bias") Boolean mlpBias,
        @JsonProperty("use_sliding_window") Boolean useSlidingWindow,
        @JsonProperty("bos_token_id") Integer bosTokenId,
        @JsonProperty("eos_token_id") @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> eosTokenIds,
        @JsonProperty("pad_token_id") Integer padTokenId) {

    /** The text model types whose defaults this record knows. */
    public static final Set<String> MODEL_TYPES = Set.of("llama", "helium", "qwen2", "qwen2_vl", "qwen2_5_vl",
            "qwen2_vl_text", "qwen2_5_vl_text");

    public TextConfig {
        if (modelType == null) modelType = "helium"; // model-format.md: our format's default text model
        if (!MODEL_TYPES.contains(modelType)) {
            throw new ConfigValueException("model_type", "unsupported text model type '" + modelType + "' (supported: "
                    + String.join(", ", MODEL_TYPES.stream().sorted().toList()) + ")");
        }
        boolean helium = modelType.equals("helium");
        boolean qwen = isQwen(modelType);
        boolean qwenVl = qwen && !modelType.equals("qwen2");
        ConfigChecks.positive("vocab_size", ConfigChecks.required("vocab_size", vocabSize));
        ConfigChecks.positive("hidden_size", ConfigChecks.required("hidden_size", hiddenSize));
        ConfigChecks.positive("intermediate_size", ConfigChecks.required("intermediate_size", intermediateSize));
        ConfigChecks.positive("num_hidden_layers", ConfigChecks.required("num_hidden_layers", numHiddenLayers));
        ConfigChecks.positive("num_attention_heads", ConfigChecks.required("num_attention_heads", numAttentionHeads));
        if (numKeyValueHeads == null) numKeyValueHeads = numAttentionHeads;
        if (numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0) {
            throw new ConfigValueException("num_key_value_heads", "must be positive and divide num_attention_heads="
                    + numAttentionHeads + ", found " + numKeyValueHeads);
        }
        if (headDim == null) {
            if (hiddenSize % numAttentionHeads != 0) {
                throw new ConfigValueException("head_dim", "missing, and hidden_size=" + hiddenSize
                        + " is not a multiple of num_attention_heads=" + numAttentionHeads);
            }
            headDim = hiddenSize / numAttentionHeads;
        }
        ConfigChecks.positive("head_dim", headDim);
        if (headDim % 2 != 0) throw new ConfigValueException("head_dim", "RoPE needs an even head_dim, found " + headDim);
        if (hiddenAct == null) hiddenAct = "silu";
        try {
            Activation.fromHf(hiddenAct);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("hidden_act", e.getMessage());
        }
        if (rmsNormEps == null) rmsNormEps = helium ? 1e-8 : qwenVl ? 1e-5 : 1e-6;
        ConfigChecks.positive("rms_norm_eps", rmsNormEps);
        if (ropeTheta == null) ropeTheta = helium ? 100000.0 : qwenVl ? 1000000.0 : 10000.0;
        ConfigChecks.check(ropeTheta > 1, "rope_theta", "expected a number > 1, found " + ropeTheta);
        if (ropeStyle == null) ropeStyle = helium ? "interleaved" : "half";
        try {
            RopeStyle.parse(ropeStyle);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("rope_style", e.getMessage());
        }
        if (ropeScaling != null && ropeScaling.kind() == RopeScaling.Kind.MROPE) {
            int sum = 0;
            for (int s : ropeScaling.mropeSection()) sum += s;
            if (sum != headDim / 2) {
                throw new ConfigValueException("rope_scaling.mrope_section", "sums to " + sum + ", must be head_dim/2 = " + headDim / 2);
            }
            if (!ropeStyle.equals("half")) throw new ConfigValueException("rope_style", "M-RoPE rotates halves; rope_style '" + ropeStyle + "' is not allowed with mrope_section");
        }
        if (maxPositionEmbeddings == null) maxPositionEmbeddings = helium ? 4096 : qwen ? 32768 : 2048;
        ConfigChecks.positive("max_position_embeddings", maxPositionEmbeddings);
        if (tieWordEmbeddings == null) tieWordEmbeddings = false;
        // Qwen2 has no attention_bias key: its q/k/v projections always have a bias (and o_proj none).
        if (attentionBias == null) attentionBias = qwen;
        if (mlpBias == null) mlpBias = false;
        if (Boolean.TRUE.equals(useSlidingWindow)) throw new ConfigValueException("use_sliding_window", "sliding-window attention is not supported");
        eosTokenIds = ConfigChecks.copy(eosTokenIds);
        for (int id : eosTokenIds) ConfigChecks.tokenId("eos_token_id", id, vocabSize);
    }

    private static boolean isQwen(String type) {
        return type.startsWith("qwen2");
    }

    /** Width of the query projection, {@code H · head_dim}. */
    public int queryDim() { return numAttentionHeads * headDim; }

    /** Width of the key and value projections, {@code KV · head_dim}. */
    public int kvDim() { return numKeyValueHeads * headDim; }

    public Activation activation() { return Activation.fromHf(hiddenAct); }

    public RopeStyle rope() { return RopeStyle.parse(ropeStyle); }

    /** True with M-RoPE ({@code rope_scaling.mrope_section}): positions are (t, h, w) triples. */
    public boolean multimodalRope() {
        return ropeScaling != null && ropeScaling.kind() == RopeScaling.Kind.MROPE;
    }

    /** The rotary strategy this config describes. */
    public RotaryEmbedding rotaryEmbedding() {
        float[] invFreq;
        if (ropeScaling != null && ropeScaling.kind() == RopeScaling.Kind.LLAMA3) {
            invFreq = RotaryEmbedding.llama3InvFreq(headDim, ropeTheta, ropeScaling.factor(), ropeScaling.lowFreqFactor(),
                    ropeScaling.highFreqFactor(), ropeScaling.originalMaxPositionEmbeddings());
        } else {
            invFreq = RotaryEmbedding.defaultInvFreq(headDim, ropeTheta);
        }
        RotaryEmbedding rope = RotaryEmbedding.oneD(headDim, invFreq, rope());
        return multimodalRope() ? rope.withSections(ropeScaling.mropeSection()) : rope;
    }
}
