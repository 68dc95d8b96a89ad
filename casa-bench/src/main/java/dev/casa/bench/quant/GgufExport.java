package dev.casa.bench.quant;

import dev.casa.CasaModel;
import dev.casa.Quantization;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The tensors of a loaded {@link LmShape} model, as casa-java runs them (memory-mapped BF16, or quantized at load),
 * written as a GGUF file for llama.cpp: the same bytes for every matrix, norms and biases widened to F32 (exact;
 * llama.cpp keeps them in F32). Tensor names and metadata keys as llama.cpp's {@code llama} / {@code qwen2}
 * architectures expect them; the vocabulary is token-less ({@code tokenizer.ggml.model = none}), which is all
 * llama-bench needs (it feeds random token ids).
 */
final class GgufExport {
    private GgufExport() {}

    /** llama.cpp's {@code llama_ftype} of a file mostly in this format. */
    static int fileType(Quantization q) {
        return switch (q) {
            case NONE -> 32;   // MOSTLY_BF16
            case Q8_0 -> 7;
            case Q4_0 -> 2;
        };
    }

    static void write(CasaModel model, LmShape s, Path file) throws IOException {
        TensorStore w = model.weights();
        String a = s.ggufArch();
        GgufWriter g = new GgufWriter()
                .string("general.architecture", a)
                .string("general.name", s.name() + " (casa-bench random weights)")
                .u32("general.file_type", fileType(model.quantization()))
                .u32("general.quantization_version", 2)
                .u32(a + ".context_length", s.maxPositions())
                .u32(a + ".embedding_length", s.hidden())
                .u32(a + ".block_count", s.layers())
                .u32(a + ".feed_forward_length", s.intermediate())
                .u32(a + ".rope.dimension_count", s.headDim())
                .u32(a + ".attention.head_count", s.heads())
                .u32(a + ".attention.head_count_kv", s.kvHeads())
                .u32(a + ".attention.key_length", s.headDim())
                .u32(a + ".attention.value_length", s.headDim())
                .f32(a + ".attention.layer_norm_rms_epsilon", s.rmsEps())
                .f32(a + ".rope.freq_base", s.ropeTheta())
                .u32(a + ".vocab_size", s.vocab())
                .string("tokenizer.ggml.model", "none");
        g.tensor("token_embd.weight", w.get("model.embed_tokens.weight"));
        if (!s.tied()) g.tensor("output.weight", w.get("lm_head.weight"));
        g.tensor("output_norm.weight", f32(w.get("model.norm.weight")));
        for (int i = 0; i < s.layers(); i++) {
            String l = "model.layers." + i + ".", b = "blk." + i + ".";
            g.tensor(b + "attn_norm.weight", f32(w.get(l + "input_layernorm.weight")));
            g.tensor(b + "attn_q.weight", w.get(l + "self_attn.q_proj.weight"));
            g.tensor(b + "attn_k.weight", w.get(l + "self_attn.k_proj.weight"));
            g.tensor(b + "attn_v.weight", w.get(l + "self_attn.v_proj.weight"));
            if (s.qkvBias()) {
                g.tensor(b + "attn_q.bias", f32(w.get(l + "self_attn.q_proj.bias")));
                g.tensor(b + "attn_k.bias", f32(w.get(l + "self_attn.k_proj.bias")));
                g.tensor(b + "attn_v.bias", f32(w.get(l + "self_attn.v_proj.bias")));
            }
            g.tensor(b + "attn_output.weight", w.get(l + "self_attn.o_proj.weight"));
            g.tensor(b + "ffn_norm.weight", f32(w.get(l + "post_attention_layernorm.weight")));
            g.tensor(b + "ffn_gate.weight", w.get(l + "mlp.gate_proj.weight"));
            g.tensor(b + "ffn_up.weight", w.get(l + "mlp.up_proj.weight"));
            g.tensor(b + "ffn_down.weight", w.get(l + "mlp.down_proj.weight"));
        }
        g.write(file);
    }

    private static Tensor f32(Tensor t) {
        return Tensor.ofFloats(t.name(), t.toFloatArray(), t.shape());
    }
}
