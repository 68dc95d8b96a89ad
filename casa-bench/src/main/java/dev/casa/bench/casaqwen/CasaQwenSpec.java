package dev.casa.bench.casaqwen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The shape of a generated CASA-Qwen2.5-VL model (casa-qwen.md §2): a Qwen2.5-VL vision tower with its
 * merger ({@code visual.*}) feeding a Qwen2 M-RoPE decoder with tied embeddings, and CASA layers with their
 * own projections ({@code share_projections: false}) in every layer. The same tensors minus the CASA ones,
 * with {@code "fusion": "insertion"}, are plain Qwen2.5-VL (the insertion baseline).
 */
public record CasaQwenSpec(
        String name,
        int visionDepth, int visionHidden, int visionHeads, int visionIntermediate, int windowSize, int[] fullAttention,
        int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim, int[] mropeSection,
        double ropeTheta, int maxPositions, long seed) {

    /** Bumped when the generator writes different bytes for the same shape. */
    static final int GENERATOR_VERSION = 1;

    /** Qwen2.5's special tokens used here, at their real ids. */
    static final int ENDOFTEXT = 151643, IM_START = 151644, IM_END = 151645, VISION_START = 151652, VISION_END = 151653;

    /** Qwen2.5-VL-3B-Instruct's shapes (its config.json) with CASA in all 36 layers. */
    public static CasaQwenSpec qwen3b() {
        return new CasaQwenSpec("casa-qwen2.5-vl-3b", 32, 1280, 16, 3420, 112, new int[] {7, 15, 23, 31},
                151936, 2048, 11008, 36, 16, 2, 128, new int[] {16, 24, 24}, 1_000_000.0, 128000, 20251126L);
    }

    /** The same structure at a few tens of MB (the vocabulary stays real: the tokenizer uses the real ids). */
    public static CasaQwenSpec small() {
        return new CasaQwenSpec("casa-qwen-small", 4, 64, 2, 96, 112, new int[] {1, 3},
                151936, 128, 256, 2, 4, 2, 32, new int[] {4, 6, 6}, 1_000_000.0, 128000, 20251126L);
    }

    public static CasaQwenSpec preset(String name) {
        return switch (name) {
            case "3b" -> qwen3b();
            case "small" -> small();
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "' (3b | small)");
        };
    }

    public int queryDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    /** config.json for {@code fusion} "casa" or "insertion" (casa-qwen.md §2). */
    public ObjectNode configJson(String fusion) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("model_type", "casa");
        root.put("fusion", fusion);
        ObjectNode v = root.putObject("vision_config");
        v.put("model_type", "qwen2_5_vl").put("depth", visionDepth).put("hidden_size", visionHidden)
                .put("intermediate_size", visionIntermediate).put("num_heads", visionHeads).put("hidden_act", "silu")
                .put("in_channels", 3).put("patch_size", 14).put("temporal_patch_size", 2).put("spatial_merge_size", 2)
                .put("window_size", windowSize).put("out_hidden_size", hidden).put("tokens_per_second", 2);
        ArrayNode full = v.putArray("fullatt_block_indexes");
        for (int i : fullAttention) full.add(i);
        ObjectNode t = root.putObject("text_config");
        t.put("model_type", "qwen2").put("vocab_size", vocab).put("hidden_size", hidden)
                .put("intermediate_size", intermediate).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_key_value_heads", kvHeads).put("head_dim", headDim)
                .put("hidden_act", "silu").put("rms_norm_eps", 1e-6).put("rope_theta", ropeTheta)
                .put("attention_bias", true).put("max_position_embeddings", maxPositions)
                .put("tie_word_embeddings", true).put("bos_token_id", ENDOFTEXT).put("eos_token_id", IM_END);
        ObjectNode rs = t.putObject("rope_scaling");
        rs.put("type", "default");
        ArrayNode ms = rs.putArray("mrope_section");
        for (int i : mropeSection) ms.add(i);
        if (fusion.equals("casa")) {
            root.putObject("casa_config").put("layers", "all").put("share_projections", false).put("image_rope", "mrope_grid");
        }
        root.putArray("pre_image_tokens").add(VISION_START);
        root.putArray("post_image_tokens").add(VISION_END);
        return root;
    }

    /** Identifies the bytes the generator writes for this spec (reuse check). */
    public String hash() {
        try {
            String canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
                    .writeValueAsString(configJson("casa")) + "|seed=" + seed + "|v=" + GENERATOR_VERSION;
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------ what the benchmarks count

    /** Parameters of one decoder layer's self-attention and MLP matrices. */
    public long layerMatrixParams() {
        return 2L * queryDim() * hidden + 2L * kvDim() * hidden + 3L * intermediate * hidden;
    }

    /** Parameters of one CASA layer's q/k/v/o matrices. */
    public long casaMatrixParams() {
        return 2L * queryDim() * hidden + 2L * kvDim() * hidden;
    }

    /** BF16 bytes a decode step reads from the weights: decoder matrices, the tied lm_head, optionally the CASA matrices. */
    public double decodeWeightBytes(boolean casa) {
        return 2.0 * (layers * (layerMatrixParams() + (casa ? casaMatrixParams() : 0)) + (long) vocab * hidden);
    }
}
