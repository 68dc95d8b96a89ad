package dev.casa.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The shape of a generated benchmark model: a Helium-style decoder, a small SigLIP tower with its
 * projector, and CASA on every layer with {@code share_projections = true}, so the CASA and the
 * insertion fusion run literally the same tensors (only config.json's {@code fusion} differs).
 */
public record BenchModelSpec(
        String name,
        int layers, int hidden, int heads, int kvHeads, int headDim, int intermediate, int vocab,
        int visionHidden, int visionIntermediate, int visionLayers, int visionHeads, int imageSize, int patchSize,
        int maxPositions, long seed) {

    /** Bumped when the generator writes different bytes for the same shape. */
    static final int GENERATOR_VERSION = 1;
    static final int IMAGE_TOKEN_ID = 5;

    /**
     * Helium-1-preview-2B (24 layers, d 2560, 20 heads × 128, MLP 7040, vocab 48000, untied lm_head)
     * with a small SigLIP tower: 128×128 images, patch 16 → 64 tokens per frame, D 384, 6 layers.
     * max_position_embeddings is 32768 (Helium: 4096) so the insertion stream of 128+ turns × (64 image
     * + text) tokens stays within the positions the model declares; it changes no weight.
     */
    public static BenchModelSpec helium2b() {
        return new BenchModelSpec("helium2b", 24, 2560, 20, 20, 128, 7040, 48000,
                384, 1536, 6, 6, 128, 16, 32768, 20251125L);
    }

    /** A few-MB model with the same structure, to smoke-test the benchmarks in seconds. */
    public static BenchModelSpec small() {
        return new BenchModelSpec("small", 2, 256, 4, 2, 64, 512, 1000,
                64, 128, 2, 2, 32, 16, 32768, 20251125L);
    }

    public static BenchModelSpec preset(String name) {
        return switch (name) {
            case "helium2b" -> helium2b();
            case "small" -> small();
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "' (helium2b | small)");
        };
    }

    public int kvDim() { return kvHeads * headDim; }

    public int queryDim() { return heads * headDim; }

    /** Image tokens per frame, (S/p)². */
    public int imageTokens() { return (imageSize / patchSize) * (imageSize / patchSize); }

    /** config.json of the model with the given fusion ("casa" or "insertion"). */
    public ObjectNode configJson(String fusion) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("model_type", "casa");
        root.put("fusion", fusion);
        ObjectNode v = root.putObject("vision_config");
        v.put("hidden_size", visionHidden).put("intermediate_size", visionIntermediate)
                .put("num_hidden_layers", visionLayers).put("num_attention_heads", visionHeads)
                .put("num_channels", 3).put("image_size", imageSize).put("patch_size", patchSize)
                .put("hidden_act", "gelu_pytorch_tanh").put("layer_norm_eps", 1e-6);
        root.put("projector_hidden_act", "gelu");
        ObjectNode t = root.putObject("text_config");
        t.put("model_type", "helium").put("vocab_size", vocab).put("hidden_size", hidden)
                .put("intermediate_size", intermediate).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("head_dim", headDim)
                .put("hidden_act", "silu").put("rms_norm_eps", 1e-8).put("rope_theta", 100000.0)
                .put("rope_style", "interleaved").put("max_position_embeddings", maxPositions)
                .put("tie_word_embeddings", false).put("attention_bias", false).put("mlp_bias", false)
                .put("bos_token_id", 1).put("eos_token_id", 2).put("pad_token_id", 3);
        ObjectNode c = root.putObject("casa_config");
        c.put("layers", "all").put("share_projections", true).put("image_rope", "window_start");
        root.put("image_token_id", IMAGE_TOKEN_ID);
        root.putArray("pre_image_tokens");
        root.putArray("post_image_tokens");
        return root;
    }

    /** Identifies the bytes the generator writes for this spec (reuse check). */
    public String hash() {
        try {
            String canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                    .writeValueAsString(configJson("casa")) + "|seed=" + seed + "|v=" + GENERATOR_VERSION;
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------ what the benchmarks count

    /** Parameters of one decoder layer's matrices (attention q/k/v/o + gated MLP). */
    public long layerMatrixParams() {
        long attn = (long) queryDim() * hidden * 2 + (long) kvDim() * hidden * 2;
        long mlp = 3L * intermediate * hidden;
        return attn + mlp;
    }

    /** Parameters of lm_head. */
    public long lmHeadParams() { return (long) vocab * hidden; }

    /**
     * Bytes one decode step must read from memory at {@code context} cached tokens: every decoder
     * matrix and lm_head (BF16, 2 bytes), one embedding row, the norm weights (fp32) and the fp32
     * K/V cache rows the attention reads (self-attention only; CASA without images reads its window
     * which here is the same text, counted when {@code casaWindow} &gt; 0).
     */
    public double decodeBytes(int context, int casaWindow) {
        double weights = 2.0 * (layers * layerMatrixParams() + lmHeadParams()) + 2.0 * hidden;
        double norms = 4.0 * hidden * (2L * layers + 1);
        double kv = 4.0 * 2 * kvDim() * layers * ((double) context + casaWindow);
        return weights + norms + kv;
    }

    /**
     * FLOPs of a prefill of {@code tokens} tokens after {@code cached} tokens with logits for the last
     * one: 2·(layer matrices)·tokens + 2·lm_head, plus causal attention (QKᵀ and PV) per layer.
     */
    public double prefillFlops(int tokens, int cached, boolean casaAttentionToo) {
        double matrices = 2.0 * layers * layerMatrixParams() * tokens + 2.0 * lmHeadParams();
        double keys = 0;
        for (int i = 0; i < tokens; i++) keys += cached + i + 1;
        double attention = 4.0 * heads * headDim * keys * layers;
        return matrices + attention * (casaAttentionToo ? 2 : 1);
    }
}
