package dev.casa.text.lm;

/**
 * Where a checkpoint keeps its language model: {@code model} prefixes the decoder stack
 * ({@code embed_tokens}, {@code layers.N.*}, {@code norm}), {@code lmHead} names the output matrix.
 * HF text models use {@code model.} and {@code lm_head.weight}; our format puts {@code language_model.}
 * before both; Qwen2.5-VL re-saved by transformers ≥ 4.52 uses {@code model.language_model.}; SmolVLM
 * {@code model.text_model.}.
 */
public record LmTensorNames(String model, String lmHead) {

    public static final LmTensorNames HF = new LmTensorNames("model.", "lm_head.weight");

    public String embedTokens() { return model + "embed_tokens.weight"; }

    public String norm() { return model + "norm.weight"; }

    /** Prefix of layer {@code i}'s tensors, ending with a dot. */
    public String layer(int i) { return model + "layers." + i + "."; }

    /** Prefix of every layer tensor ({@code model + "layers."}). */
    public String layers() { return model + "layers."; }
}
