package dev.casa.bench.qwen;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The tensors of the Qwen2.5-VL-3B-Instruct hub checkpoint: names ({@code visual.*}, {@code model.*}; tied
 * embeddings, so no {@code lm_head.weight}), shapes, and the order in which HF's {@code save_pretrained} walks
 * the state dict (module definition order: the vision tower, then the language model), which decides the
 * shards. 3,754,622,976 parameters, 7,509,245,952 bytes in BF16.
 */
public final class QwenCheckpoint {
    /** How a tensor's random values are drawn (see {@link QwenModelGenerator}). */
    public enum Init { MATRIX, EMBEDDING, NORM, BIAS }

    /** One tensor: name, shape, fan-in (elements per output row) and initialisation. */
    public record Entry(String name, long[] shape, Init init) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /** Inputs per output: the product of all dimensions but the first. */
        public long fanIn() { return elements() / shape[0]; }
    }

    // Qwen2.5-VL-3B-Instruct config.json (vision_config and the text keys).
    static final int VISION_DEPTH = 32, VISION_WIDTH = 1280, VISION_MLP = 3420, PATCH = 14, TEMPORAL = 2, MERGE = 2;
    static final int HIDDEN = 2048, LAYERS = 36, HEADS = 16, KV_HEADS = 2, MLP = 11008, VOCAB = 151936;

    private QwenCheckpoint() {}

    /** Every tensor, in state-dict order. */
    public static List<Entry> tensors() {
        List<Entry> t = new ArrayList<>();
        int dv = VISION_WIDTH;
        t.add(new Entry("visual.patch_embed.proj.weight", new long[] {dv, 3, TEMPORAL, PATCH, PATCH}, Init.MATRIX));
        for (int i = 0; i < VISION_DEPTH; i++) {
            String b = "visual.blocks." + i + ".";
            t.add(new Entry(b + "norm1.weight", new long[] {dv}, Init.NORM));
            t.add(new Entry(b + "norm2.weight", new long[] {dv}, Init.NORM));
            linear(t, b + "attn.qkv", 3 * dv, dv, true);
            linear(t, b + "attn.proj", dv, dv, true);
            linear(t, b + "mlp.gate_proj", VISION_MLP, dv, true);
            linear(t, b + "mlp.up_proj", VISION_MLP, dv, true);
            linear(t, b + "mlp.down_proj", dv, VISION_MLP, true);
        }
        int wide = dv * MERGE * MERGE;
        t.add(new Entry("visual.merger.ln_q.weight", new long[] {dv}, Init.NORM));
        linear(t, "visual.merger.mlp.0", wide, wide, true);
        linear(t, "visual.merger.mlp.2", HIDDEN, wide, true);

        int headDim = HIDDEN / HEADS, kv = KV_HEADS * headDim;
        t.add(new Entry("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN}, Init.EMBEDDING));
        for (int i = 0; i < LAYERS; i++) {
            // Qwen2DecoderLayer defines self_attn, mlp, input_layernorm, post_attention_layernorm in this order.
            String l = "model.layers." + i + ".";
            linear(t, l + "self_attn.q_proj", HEADS * headDim, HIDDEN, true);
            linear(t, l + "self_attn.k_proj", kv, HIDDEN, true);
            linear(t, l + "self_attn.v_proj", kv, HIDDEN, true);
            linear(t, l + "self_attn.o_proj", HIDDEN, HEADS * headDim, false);
            linear(t, l + "mlp.gate_proj", MLP, HIDDEN, false);
            linear(t, l + "mlp.up_proj", MLP, HIDDEN, false);
            linear(t, l + "mlp.down_proj", HIDDEN, MLP, false);
            t.add(new Entry(l + "input_layernorm.weight", new long[] {HIDDEN}, Init.NORM));
            t.add(new Entry(l + "post_attention_layernorm.weight", new long[] {HIDDEN}, Init.NORM));
        }
        t.add(new Entry("model.norm.weight", new long[] {HIDDEN}, Init.NORM));
        return Collections.unmodifiableList(t);
    }

    private static void linear(List<Entry> t, String name, long out, long in, boolean bias) {
        t.add(new Entry(name + ".weight", new long[] {out, in}, Init.MATRIX));
        if (bias) t.add(new Entry(name + ".bias", new long[] {out}, Init.BIAS));
    }

    /**
     * HF's greedy sharding ({@code save_pretrained(max_shard_size="4GB")}, as the hub files were made): tensors
     * in state-dict order fill a shard until the next one would pass {@code maxShardBytes}.
     */
    public static List<List<Entry>> shards(List<Entry> tensors, long maxShardBytes, int elementBytes) {
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long size = 0;
        for (Entry e : tensors) {
            long bytes = e.elements() * elementBytes;
            if (!current.isEmpty() && size + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e);
            size += bytes;
        }
        if (!current.isEmpty()) shards.add(current);
        return shards;
    }
}
