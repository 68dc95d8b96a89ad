package dev.casa.text.model;

import dev.casa.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A tiny random model: config.json text plus weights, kept both as float values (for the
 * reference) and as tensors (for the decoder). Every other matrix is stored as BF16, with values
 * that are exactly representable in BF16, so both sides see the same numbers.
 */
public final class TinyModel {
    public String fusion = "casa";
    public String textModelType = "helium";
    public int vocab = 40, hidden = 16, intermediate = 24, layers = 3, heads = 4, kvHeads = 2, headDim = 6;
    public String act = "silu";
    public String ropeStyle = null;           // null: default from model_type
    public boolean tie = false, attentionBias = false, oBias = false, mlpBias = false;
    public String casaLayers = "[0, 2]";
    public boolean share = false;
    public String imageRope = "window_start";
    public long seed = 1;

    final Map<String, float[]> values = new LinkedHashMap<>();
    final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final List<String> bf16 = new ArrayList<>();

    public String configJson() {
        return """
            {"model_type": "casa", "fusion": "%s",
             "text_config": {"model_type": "%s", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d,
               "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d,
               "hidden_act": "%s", "rms_norm_eps": 1e-5, "rope_theta": 1000.0, %s
               "max_position_embeddings": 64, "tie_word_embeddings": %b, "attention_bias": %b, "mlp_bias": %b},
             "casa_config": {"layers": %s, "share_projections": %b, "image_rope": "%s"},
             "image_token_id": 5}
            """.formatted(fusion, textModelType, vocab, hidden, intermediate, layers, heads, kvHeads, headDim, act,
                ropeStyle == null ? "" : "\"rope_style\": \"" + ropeStyle + "\",", tie, attentionBias, mlpBias,
                casaLayers, share, imageRope);
    }

    public TinyConfig config() { return TinyConfig.parse(configJson(), "test/config.json"); }

    /** Generates the weights the config asks for. */
    public TinyModel build() {
        TinyConfig c = config();
        Random rnd = new Random(seed);
        String p = "language_model.";
        matrix(rnd, p + "model.embed_tokens.weight", vocab, hidden, 1.0);
        if (!tie) matrix(rnd, p + "lm_head.weight", vocab, hidden, 0.5);
        norm(rnd, p + "model.norm.weight");
        int qd = heads * headDim, kvd = kvHeads * headDim;
        for (int i = 0; i < layers; i++) {
            String l = p + "model.layers." + i + ".";
            norm(rnd, l + "input_layernorm.weight");
            attention(rnd, l + "self_attn.", qd, kvd);
            norm(rnd, l + "post_attention_layernorm.weight");
            linear(rnd, l + "mlp.gate_proj", intermediate, hidden, mlpBias);
            linear(rnd, l + "mlp.up_proj", intermediate, hidden, mlpBias);
            linear(rnd, l + "mlp.down_proj", hidden, intermediate, mlpBias);
            if (c.fusion() == TinyConfig.Fusion.CASA && !share && c.casa().isCasaLayer(i)) {
                norm(rnd, l + "casa_layernorm.weight");
                attention(rnd, l + "casa_attn.", qd, kvd);
            }
        }
        return this;
    }

    private void attention(Random rnd, String p, int qd, int kvd) {
        linear(rnd, p + "q_proj", qd, hidden, attentionBias);
        linear(rnd, p + "k_proj", kvd, hidden, attentionBias);
        linear(rnd, p + "v_proj", kvd, hidden, attentionBias);
        linear(rnd, p + "o_proj", hidden, qd, oBias);
    }

    private void linear(Random rnd, String p, int out, int in, boolean bias) {
        matrix(rnd, p + ".weight", out, in, 1.0 / Math.sqrt(in));
        if (bias) vector(rnd, p + ".bias", out, 0.1, 0.0);
    }

    private void norm(Random rnd, String name) { vector(rnd, name, hidden, 0.2, 1.0); }

    private void matrix(Random rnd, String name, int rows, int cols, double std) {
        float[] v = new float[rows * cols];
        boolean asBf16 = shapes.size() % 2 == 0;
        for (int i = 0; i < v.length; i++) {
            float f = (float) (rnd.nextGaussian() * std);
            v[i] = asBf16 ? truncateToBf16(f) : f;
        }
        if (asBf16) bf16.add(name);
        values.put(name, v);
        shapes.put(name, new long[] {rows, cols});
    }

    private void vector(Random rnd, String name, int n, double std, double mean) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + rnd.nextGaussian() * std);
        values.put(name, v);
        shapes.put(name, new long[] {n});
    }

    private static float truncateToBf16(float f) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) & 0xFFFF0000);
    }

    public MapTensorStore store() {
        MapTensorStore s = new MapTensorStore();
        for (var e : values.entrySet()) {
            long[] shape = shapes.get(e.getKey());
            s.put(bf16.contains(e.getKey()) ? Tensor.ofBf16(e.getKey(), e.getValue(), shape)
                    : Tensor.ofFloats(e.getKey(), e.getValue(), shape));
        }
        return s;
    }

    public float[] get(String name) {
        float[] v = values.get(name);
        if (v == null) throw new IllegalArgumentException("no tensor " + name + " in " + Arrays.toString(values.keySet().toArray()));
        return v;
    }

    boolean has(String name) { return values.containsKey(name); }

    /** Random image embeddings {@code [n, hidden]}. */
    public float[] image(long imageSeed, int n) {
        Random rnd = new Random(imageSeed);
        float[] e = new float[n * hidden];
        for (int i = 0; i < e.length; i++) e[i] = (float) rnd.nextGaussian();
        return e;
    }
}
