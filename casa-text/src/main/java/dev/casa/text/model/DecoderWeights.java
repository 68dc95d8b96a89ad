package dev.casa.text.model;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The language-model tensors of model-format.md §3, checked against the config and bound once.
 * Matrices stay as (memory-mapped) {@link Tensor}s; norm weights and biases are widened to
 * {@code float[]} here. Tensors under {@code vision_tower.} and {@code multi_modal_projector.}
 * belong to the vision side and are not looked at.
 */
public final class DecoderWeights {

    static final String PREFIX = "language_model.";
    private static final String LAYERS = PREFIX + "model.layers.";
    private static final Pattern LAYER_NAME = Pattern.compile(Pattern.quote(LAYERS) + "(\\d+)\\.(.+)");
    private static final List<String> ATTN_PROJ = List.of("q_proj", "k_proj", "v_proj", "o_proj");

    /** {@code y = x·Wᵀ + b}; bias may be null. */
    public record Linear(Tensor weight, float[] bias) {}

    public record AttentionWeights(Linear q, Linear k, Linear v, Linear o) {}

    /**
     * One decoder layer; {@code casaNorm}/{@code casaAttn} are null when the layer has no CASA
     * attention or when it shares the self-attention projections.
     */
    public record Layer(float[] inputNorm, AttentionWeights selfAttn, float[] postAttentionNorm,
                        Linear gate, Linear up, Linear down, float[] casaNorm, AttentionWeights casaAttn) {}

    private final Tensor embedTokens;
    private final Tensor lmHead;
    private final float[] finalNorm;
    private final List<Layer> layers;

    private DecoderWeights(Tensor embedTokens, Tensor lmHead, float[] finalNorm, List<Layer> layers) {
        this.embedTokens = embedTokens;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
    }

    /** {@code [V, d]}. */
    public Tensor embedTokens() { return embedTokens; }

    /** {@code [V, d]}; the embedding matrix itself when the embeddings are tied. */
    public Tensor lmHead() { return lmHead; }

    public float[] finalNorm() { return finalNorm; }

    public List<Layer> layers() { return layers; }

    public Layer layer(int i) { return layers.get(i); }

    /** Binds and validates every language-model tensor; see the class comment. */
    public static DecoderWeights bind(CasaConfig config, TensorStore store) {
        return new Binder(config, store).bind();
    }

    private static final class Binder {
        private final CasaConfig config;
        private final TextConfig t;
        private final TensorStore store;
        private final Set<String> expected = new HashSet<>();
        private final Set<String> optionalSeen = new HashSet<>();

        Binder(CasaConfig config, TensorStore store) {
            this.config = config;
            this.t = config.text();
            this.store = store;
        }

        DecoderWeights bind() {
            int d = t.hiddenSize();
            Tensor embed = matrix(PREFIX + "model.embed_tokens.weight", t.vocabSize(), d);
            Tensor head = t.tieWordEmbeddings() ? embed : matrix(PREFIX + "lm_head.weight", t.vocabSize(), d);
            float[] norm = vector(PREFIX + "model.norm.weight", d);
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < t.numHiddenLayers(); i++) layers.add(layer(i));
            checkUnused();
            return new DecoderWeights(embed, head, norm, List.copyOf(layers));
        }

        private Layer layer(int i) {
            int d = t.hiddenSize();
            String p = LAYERS + i + ".";
            float[] inNorm = vector(p + "input_layernorm.weight", d);
            AttentionWeights self = attention(p + "self_attn.");
            float[] postNorm = vector(p + "post_attention_layernorm.weight", d);
            Linear gate = linear(p + "mlp.gate_proj", t.intermediateSize(), d, t.mlpBias());
            Linear up = linear(p + "mlp.up_proj", t.intermediateSize(), d, t.mlpBias());
            Linear down = linear(p + "mlp.down_proj", d, t.intermediateSize(), t.mlpBias());
            float[] casaNorm = null;
            AttentionWeights casa = null;
            if (hasOwnCasaWeights(i)) {
                casaNorm = vector(p + "casa_layernorm.weight", d);
                casa = attention(p + "casa_attn.");
            }
            return new Layer(inNorm, self, postNorm, gate, up, down, casaNorm, casa);
        }

        private boolean hasOwnCasaWeights(int layer) {
            return config.fusion() == Fusion.CASA && !config.casa().shareProjections() && config.casa().isCasaLayer(layer);
        }

        private AttentionWeights attention(String p) {
            int d = t.hiddenSize();
            Linear q = linear(p + "q_proj", t.queryDim(), d, t.attentionBias());
            Linear k = linear(p + "k_proj", t.kvDim(), d, t.attentionBias());
            Linear v = linear(p + "v_proj", t.kvDim(), d, t.attentionBias());
            Tensor ow = matrix(p + "o_proj.weight", d, t.queryDim());
            // o_proj.bias is read whenever the checkpoint has one (§3).
            String oBias = p + "o_proj.bias";
            float[] ob = null;
            if (store.find(oBias).isPresent()) {
                ob = vector(oBias, d);
            } else {
                optionalSeen.add(oBias);
            }
            return new AttentionWeights(q, k, v, new Linear(ow, ob));
        }

        private Linear linear(String p, int out, int in, boolean bias) {
            Tensor w = matrix(p + ".weight", out, in);
            return new Linear(w, bias ? vector(p + ".bias", out) : null);
        }

        private Tensor matrix(String name, int rows, int cols) {
            return tensor(name, new long[] {rows, cols});
        }

        private float[] vector(String name, int size) {
            return tensor(name, new long[] {size}).toFloatArray();
        }

        private Tensor tensor(String name, long[] shape) {
            expected.add(name);
            Optional<Tensor> found = store.find(name);
            if (found.isEmpty()) {
                throw new ModelFormatException("tensor '" + name + "' missing from " + store.describe()
                        + " (expected shape " + Arrays.toString(shape) + ")");
            }
            Tensor tensor = found.get();
            if (!Arrays.equals(tensor.shape(), shape)) {
                throw new ModelFormatException("tensor '" + name + "' in " + store.describe() + ": expected shape "
                        + Arrays.toString(shape) + ", found " + Arrays.toString(tensor.shape()));
            }
            if (!tensor.dtype().readableAsFloat()) {
                throw new ModelFormatException("tensor '" + name + "' in " + store.describe()
                        + ": expected dtype F32, F16 or BF16, found " + tensor.dtype());
            }
            return tensor;
        }

        /** An unused tensor that looks like a misnamed expected one is an error (§1). */
        private void checkUnused() {
            for (String name : store.names()) {
                if (expected.contains(name) || name.startsWith("vision_tower.") || name.startsWith("multi_modal_projector.")) {
                    continue;
                }
                // Tied embeddings: HF ignores a stored lm_head copy.
                if (t.tieWordEmbeddings() && name.equals(PREFIX + "lm_head.weight")) continue;
                String problem = layerProblem(name);
                if (problem == null && expected.contains(PREFIX + name)) {
                    problem = "missing the '" + PREFIX + "' prefix";
                }
                if (problem == null) {
                    String near = nearestExpected(name);
                    if (near != null) problem = "looks like a misspelling of expected tensor '" + near + "'";
                }
                if (problem != null) {
                    throw new ModelFormatException("unexpected tensor '" + name + "' in " + store.describe() + ": " + problem);
                }
            }
        }

        /** Why a per-layer tensor with a known suffix is not expected, or null for an unknown suffix. */
        private String layerProblem(String name) {
            Matcher m = LAYER_NAME.matcher(name);
            if (!m.matches()) return null;
            String suffix = m.group(2);
            if (!isKnownLayerSuffix(suffix)) return null;
            long index;
            try {
                index = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                index = Long.MAX_VALUE;
            }
            if (index >= t.numHiddenLayers()) {
                return "layer " + m.group(1) + " does not exist (num_hidden_layers=" + t.numHiddenLayers() + ")";
            }
            if (suffix.startsWith("casa_")) {
                if (config.fusion() == Fusion.INSERTION) return "CASA tensor in a model with fusion=insertion";
                if (config.casa().shareProjections()) return "CASA tensor but casa_config.share_projections=true";
                return "layer " + index + " is not in casa_config.layers " + Arrays.toString(config.casa().layers());
            }
            if (suffix.startsWith("mlp.") && suffix.endsWith(".bias")) return "MLP bias but text_config.mlp_bias=false";
            if (suffix.endsWith(".bias")) return "attention bias but text_config.attention_bias=false";
            return null;
        }

        private static boolean isKnownLayerSuffix(String suffix) {
            if (suffix.equals("input_layernorm.weight") || suffix.equals("post_attention_layernorm.weight")
                    || suffix.equals("casa_layernorm.weight")) {
                return true;
            }
            for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
                if (suffix.equals("mlp." + proj + ".weight") || suffix.equals("mlp." + proj + ".bias")) return true;
            }
            for (String attn : List.of("self_attn.", "casa_attn.")) {
                for (String proj : ATTN_PROJ) {
                    if (suffix.equals(attn + proj + ".weight") || suffix.equals(attn + proj + ".bias")) return true;
                }
            }
            return false;
        }

        private String nearestExpected(String name) {
            String best = null;
            int bestDistance = 3;
            List<String> candidates = new ArrayList<>(expected);
            candidates.addAll(optionalSeen);
            candidates.sort(null);
            for (String e : candidates) {
                int dist = EditDistance.bounded(name, e, 2);
                if (dist < bestDistance) {
                    bestDistance = dist;
                    best = e;
                }
            }
            return best;
        }
    }
}
