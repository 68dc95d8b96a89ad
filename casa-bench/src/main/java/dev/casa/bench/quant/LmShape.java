package dev.casa.bench.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A decoder-only language model shape for the quantized decode benchmarks, loaded as an HF text model
 * ({@code helium} or {@code qwen2}) by casa-java and written as GGUF ({@code llama} or {@code qwen2}
 * architecture) for llama.cpp. Both runtimes compute the same network: Helium's interleaved RoPE is
 * GGML's normal mode, Qwen2's rotate-half RoPE GGML's NeoX mode, so no weight is permuted.
 */
public record LmShape(String name, String modelType, String ggufArch, int layers, int hidden, int heads, int kvHeads,
                      int headDim, int intermediate, int vocab, boolean tied, boolean qkvBias, double ropeTheta,
                      double rmsEps, int maxPositions, long seed) {

    /** Bumped when the generator writes different bytes for the same shape. */
    static final int GENERATOR_VERSION = 1;

    /** Helium-1-preview-2B: 24 layers, d 2560, 20 heads × 128, MLP 7040, vocab 48000, untied lm_head (2.1 B parameters). */
    public static LmShape helium2b() {
        return new LmShape("helium2b-lm", "helium", "llama", 24, 2560, 20, 20, 128, 7040, 48000, false, false,
                100000.0, 1e-8, 4096, 20251207L);
    }

    /**
     * The language model of Qwen2.5-VL-3B: 36 layers, d 2048, 16 heads × 128 with 2 KV heads, MLP 11008, vocab 151936,
     * q/k/v biases, embeddings tied to the head (3.09 B parameters). As a text model its M-RoPE is plain RoPE.
     */
    public static LmShape qwen25vl3b() {
        return new LmShape("qwen25vl3b-lm", "qwen2", "qwen2", 36, 2048, 16, 2, 128, 11008, 151936, true, true,
                1000000.0, 1e-6, 4096, 20251207L);
    }

    /** Seconds to generate and run, for smoke tests of the benchmark itself. */
    public static LmShape tiny() {
        return new LmShape("tiny-lm", "qwen2", "qwen2", 2, 256, 4, 2, 64, 512, 1024, true, true,
                1000000.0, 1e-6, 4096, 20251207L);
    }

    public static LmShape preset(String name) {
        return switch (name) {
            case "helium2b" -> helium2b();
            case "qwen3b" -> qwen25vl3b();
            case "tiny" -> tiny();
            default -> throw new IllegalArgumentException("unknown shape '" + name + "' (helium2b | qwen3b | tiny)");
        };
    }

    public int queryDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    /** Weights of the matrices one decode step multiplies: every layer's projections and the head. */
    public long matrixParams() {
        long attn = 2L * queryDim() * hidden + 2L * kvDim() * hidden;
        return layers * (attn + 3L * intermediate * hidden) + (long) vocab * hidden;
    }

    /** config.json of the HF text model. */
    public ObjectNode configJson() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", modelType).put("vocab_size", vocab).put("hidden_size", hidden)
                .put("intermediate_size", intermediate).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("head_dim", headDim)
                .put("hidden_act", "silu").put("rms_norm_eps", rmsEps).put("rope_theta", ropeTheta)
                .put("max_position_embeddings", maxPositions).put("tie_word_embeddings", tied)
                .put("attention_bias", qkvBias).put("mlp_bias", false)
                .put("bos_token_id", 1).put("eos_token_id", 2);
        return c;
    }

    /** Identifies the bytes the generator writes for this shape (reuse check). */
    public String hash() {
        try {
            String canonical = configJson().toString() + "|seed=" + seed + "|v=" + GENERATOR_VERSION;
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
