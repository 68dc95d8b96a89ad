package dev.casa.vision.qwen2vl;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.ConfigValueException;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.nn.Activation;
import java.util.List;

/**
 * The {@code vision_config} of a Qwen2-VL or Qwen2.5-VL config.json, bound by Jackson
 * ({@code JsonConfig.read(path).bind("vision_config", Qwen2VisionConfig.class)}) with HF v4.51.3's
 * defaults ({@code Qwen2VLVisionConfig}, {@code Qwen2_5_VLVisionConfig}) applied to absent keys.
 *
 * <p>The two families name the same things differently; the compact constructor normalizes them so
 * the accessors mean the same for both:
 * <table>
 *   <tr><th>accessor</th><th>Qwen2.5-VL key (default)</th><th>Qwen2-VL key (default)</th></tr>
 *   <tr><td>{@link #embedDim}: tower width</td><td>{@code hidden_size} (3584)</td><td>{@code embed_dim} (1280)</td></tr>
 *   <tr><td>{@link #intermediateSize}: MLP width</td><td>{@code intermediate_size} (3420)</td>
 *       <td>{@code int(embed_dim · mlp_ratio)} ({@code mlp_ratio} 4)</td></tr>
 *   <tr><td>{@link #outHiddenSize}: merger output</td><td>{@code out_hidden_size} (3584)</td>
 *       <td>{@code hidden_size} (3584)</td></tr>
 *   <tr><td>{@link #hiddenAct}</td><td>{@code silu}</td><td>{@code quick_gelu}</td></tr>
 *   <tr><td>{@link #fullattBlockIndexes}</td><td>{@code [7, 15, 23, 31]}</td><td>every block (full attention everywhere)</td></tr>
 * </table>
 * {@link #hiddenSize} keeps the raw {@code hidden_size} (whose meaning differs: the tower width in
 * Qwen2.5-VL, the merger output in Qwen2-VL). HF ignores the keys of the other family (e.g.
 * {@code embed_dim} in a Qwen2.5-VL config); so does this record. {@code in_channels} defaults to
 * {@code in_chans} (written by the original Qwen checkpoints), then 3.
 *
 * <p>The family comes from {@code model_type} ({@code "qwen2_vl"} or {@code "qwen2_5_vl"}); when the
 * vision config lacks it, HF takes the family from the enclosing config ({@link #read(JsonConfig)} does
 * the same); binding the sub-object alone then falls back to which family's keys are present.
 */
public record Qwen2VisionConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("depth") Integer depth,
        @JsonProperty("hidden_size") Integer hiddenSize,
        @JsonProperty("embed_dim") Integer embedDim,
        @JsonProperty("intermediate_size") Integer intermediateSize,
        @JsonProperty("mlp_ratio") Double mlpRatio,
        @JsonProperty("out_hidden_size") Integer outHiddenSize,
        @JsonProperty("num_heads") Integer numHeads,
        @JsonProperty("hidden_act") String hiddenAct,
        @JsonProperty("in_channels") Integer inChannels,
        @JsonProperty("in_chans") Integer inChans,
        @JsonProperty("patch_size") Integer patchSize,
        @JsonProperty("temporal_patch_size") Integer temporalPatchSize,
        @JsonProperty("spatial_merge_size") Integer spatialMergeSize,
        @JsonProperty("window_size") Integer windowSize,
        @JsonProperty("fullatt_block_indexes") List<Integer> fullattBlockIndexes,
        @JsonProperty("tokens_per_second") Integer tokensPerSecond) {

    /** The two towers: Qwen2-VL (LayerNorm, full attention, fc1/fc2 MLP) and Qwen2.5-VL (RMSNorm, windows, gated MLP). */
    public enum Variant {
        QWEN2_VL("qwen2_vl"),
        QWEN2_5_VL("qwen2_5_vl");

        private final String modelType;

        Variant(String modelType) { this.modelType = modelType; }

        /** HF's {@code model_type}. */
        public String modelType() { return modelType; }

        /** The variant of an HF {@code model_type}, or null. */
        public static Variant fromModelType(String modelType) {
            for (Variant v : values()) if (v.modelType.equals(modelType)) return v;
            return null;
        }
    }

    /** Epsilon of every norm of both towers (HF hard-codes 1e-6). */
    public static final double NORM_EPS = 1e-6;
    /** Base of the 2-D vision rotary (HF {@code VisionRotaryEmbedding} default). */
    public static final double ROPE_THETA = 10000.0;

    public Qwen2VisionConfig {
        Variant variant = inferVariant(modelType, embedDim, mlpRatio, intermediateSize, outHiddenSize, windowSize,
                fullattBlockIndexes);
        modelType = variant.modelType();
        boolean v25 = variant == Variant.QWEN2_5_VL;
        depth = ConfigChecks.positive("depth", orDefault(depth, 32));
        hiddenSize = ConfigChecks.positive("hidden_size", orDefault(hiddenSize, 3584));
        numHeads = ConfigChecks.positive("num_heads", orDefault(numHeads, 16));
        hiddenAct = orDefault(hiddenAct, v25 ? "silu" : "quick_gelu");
        try {
            Activation.fromHf(hiddenAct);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("hidden_act", e.getMessage());
        }
        if (inChans != null) ConfigChecks.positive("in_chans", inChans);
        inChannels = ConfigChecks.positive("in_channels", orDefault(inChannels, orDefault(inChans, 3)));
        patchSize = ConfigChecks.positive("patch_size", orDefault(patchSize, 14));
        temporalPatchSize = ConfigChecks.positive("temporal_patch_size", orDefault(temporalPatchSize, 2));
        spatialMergeSize = ConfigChecks.positive("spatial_merge_size", orDefault(spatialMergeSize, 2));
        if (v25) {
            embedDim = hiddenSize;
            mlpRatio = null;
            intermediateSize = ConfigChecks.positive("intermediate_size", orDefault(intermediateSize, 3420));
            outHiddenSize = ConfigChecks.positive("out_hidden_size", orDefault(outHiddenSize, 3584));
            windowSize = ConfigChecks.positive("window_size", orDefault(windowSize, 112));
            ConfigChecks.check(windowSize / spatialMergeSize / patchSize >= 1, "window_size",
                    "must be at least spatial_merge_size · patch_size = " + spatialMergeSize * patchSize
                            + " pixels (one merge unit), found " + windowSize);
            fullattBlockIndexes = List.copyOf(orDefault(fullattBlockIndexes, List.of(7, 15, 23, 31)));
            for (int i = 0; i < fullattBlockIndexes.size(); i++) {
                Integer b = fullattBlockIndexes.get(i);
                if (b == null || b < 0 || b >= depth) {
                    throw new ConfigValueException("fullatt_block_indexes",
                            "block index " + b + " (entry " + i + ") out of range [0, depth=" + depth + ")");
                }
            }
            tokensPerSecond = ConfigChecks.positive("tokens_per_second", orDefault(tokensPerSecond, 4));
        } else {
            embedDim = ConfigChecks.positive("embed_dim", orDefault(embedDim, 1280));
            mlpRatio = ConfigChecks.positive("mlp_ratio", orDefault(mlpRatio, 4.0));
            double inter = embedDim * mlpRatio;   // HF: int(embed_dim * mlp_ratio)
            if (!(inter >= 1) || inter > Integer.MAX_VALUE) {
                throw new ConfigValueException("mlp_ratio", "embed_dim · mlp_ratio = " + inter + " is not a usable MLP width");
            }
            intermediateSize = (int) inter;
            outHiddenSize = hiddenSize;
            windowSize = null;
            List<Integer> all = new java.util.ArrayList<>();
            for (int i = 0; i < depth; i++) all.add(i);
            fullattBlockIndexes = List.copyOf(all);
            tokensPerSecond = null;
        }
        if (embedDim % numHeads != 0) {
            throw new ConfigValueException("num_heads", "must divide the tower width " + embedDim + ", found " + numHeads);
        }
        if ((embedDim / numHeads) % 4 != 0) {
            throw new ConfigValueException("num_heads", "the head size " + embedDim + "/" + numHeads + " = "
                    + embedDim / numHeads + " must be a multiple of 4 for the 2-D rotary");
        }
    }

    /**
     * The vision config of a whole config.json: {@code vision_config} bound with the family of the
     * enclosing {@code model_type} (as HF does) when that is {@code qwen2_vl} or {@code qwen2_5_vl}.
     */
    public static Qwen2VisionConfig read(JsonConfig config) {
        String outer = config.string("model_type");
        Variant v = outer == null ? null : Variant.fromModelType(outer);
        JsonNode vc = config.node("vision_config");
        if (v != null && vc != null && vc.isObject()) {
            ObjectNode root = config.root().deepCopy();
            ((ObjectNode) root.get("vision_config")).put("model_type", v.modelType());
            return JsonConfig.of(root, config.source()).bind("vision_config", Qwen2VisionConfig.class);
        }
        return config.bind("vision_config", Qwen2VisionConfig.class);
    }

    private static Variant inferVariant(String modelType, Integer embedDim, Double mlpRatio, Integer intermediateSize,
                                        Integer outHiddenSize, Integer windowSize, List<Integer> fullatt) {
        if (modelType != null) {
            Variant v = Variant.fromModelType(modelType);
            if (v == null) {
                throw new ConfigValueException("model_type", "expected \"qwen2_vl\" or \"qwen2_5_vl\", found \"" + modelType + "\"");
            }
            return v;
        }
        boolean v2 = embedDim != null || mlpRatio != null;
        boolean v25 = intermediateSize != null || outHiddenSize != null || windowSize != null || fullatt != null;
        if (v2 == v25) {
            throw new ConfigValueException("model_type", "missing, and the keys do not tell Qwen2-VL (embed_dim, mlp_ratio)"
                    + " from Qwen2.5-VL (intermediate_size, out_hidden_size, window_size, fullatt_block_indexes)");
        }
        return v2 ? Variant.QWEN2_VL : Variant.QWEN2_5_VL;
    }

    private static <T> T orDefault(T value, T fallback) {
        return value != null ? value : fallback;
    }

    public Variant variant() { return Variant.fromModelType(modelType); }

    /** Per-head width. */
    public int headDim() { return embedDim / numHeads; }

    /** C·T·P·P: floats per patch row of {@code pixel_values}. */
    public int patchVectorSize() { return inChannels * temporalPatchSize * patchSize * patchSize; }

    /** Patches per merged token ({@code spatial_merge_size²}). */
    public int mergeUnit() { return spatialMergeSize * spatialMergeSize; }

    /** Width of the merger's input rows: {@code mergeUnit() · embedDim()}. */
    public int mergerWidth() { return mergeUnit() * embedDim; }

    /** Window side in merge units ({@code window_size / spatial_merge_size / patch_size}); 0 for Qwen2-VL (no windows). */
    public int windowUnits() {
        return windowSize == null ? 0 : windowSize / spatialMergeSize / patchSize;
    }

    /** Whether block {@code layer} attends over whole images (else within windows). */
    public boolean fullAttention(int layer) {
        return fullattBlockIndexes.contains(layer);
    }
}
