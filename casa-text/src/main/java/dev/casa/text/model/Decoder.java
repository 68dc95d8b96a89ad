package dev.casa.text.model;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.Norms;
import dev.casa.core.kernels.Rope;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.model.DecoderWeights.AttentionWeights;
import dev.casa.text.model.DecoderWeights.Layer;
import dev.casa.text.model.DecoderWeights.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Helium/Llama decoder with CASA layers (model-format.md §4.2–4.5). Immutable and shareable:
 * every call works on a caller-owned {@link DecoderState}.
 *
 * <p>A call processes a chunk of text tokens with images attached at insertion points, layer by
 * layer over all rows at once (projections are one matmul with M = rows). Self-attention is causal
 * over the KV cache. A CASA layer replays the chunk's windows in order: an image step writes the
 * image keys/values into the window buffer (starting a new window if the current one has text), a
 * text step appends the text keys/values and attends over image keys + window text.
 */
public final class Decoder {
    private final CasaConfig config;
    private final TextConfig t;
    private final DecoderWeights weights;
    private final ThreadPool pool;
    private final Rope rope;
    private final float eps;
    private final float scale;
    /** layer → index of its window buffer, or −1 for a layer without CASA attention. */
    private final int[] casaSlot;
    private final int casaLayers;
    /** Longer calls run as consecutive chunks of this many text tokens (same logits, bounded scratch). */
    private final int prefillChunk;

    /** Default {@link #withPrefillChunk} size: large enough for efficient matmuls, small enough for scratch. */
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    private Decoder(CasaConfig config, DecoderWeights weights, ThreadPool pool, int prefillChunk) {
        this.prefillChunk = prefillChunk;
        this.config = config;
        this.t = config.text();
        this.weights = weights;
        this.pool = pool;
        this.rope = new Rope(t.headDim(), t.ropeTheta(), t.ropeStyle());
        this.eps = (float) t.rmsNormEps();
        this.scale = (float) (1.0 / Math.sqrt(t.headDim()));
        this.casaSlot = new int[t.numHiddenLayers()];
        int slots = 0;
        for (int i = 0; i < casaSlot.length; i++) {
            boolean casa = config.fusion() == Fusion.CASA && config.casa().isCasaLayer(i);
            casaSlot[i] = casa ? slots++ : -1;
        }
        this.casaLayers = slots;
    }

    /** Binds and validates the language-model tensors of {@code store} (see {@link DecoderWeights}). */
    public static Decoder load(CasaConfig config, TensorStore store, ThreadPool pool) {
        return new Decoder(config, DecoderWeights.bind(config, store), pool, DEFAULT_PREFILL_CHUNK);
    }

    /**
     * The same model, splitting calls longer than {@code tokens} text tokens into consecutive
     * chunks: the logits are the same, the scratch memory of a state is bounded by the chunk.
     * States are interchangeable between the two decoders.
     */
    public Decoder withPrefillChunk(int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("prefill chunk must be >= 1 token, got " + tokens);
        return new Decoder(config, weights, pool, tokens);
    }

    public CasaConfig config() { return config; }

    public DecoderWeights weights() { return weights; }

    int casaSlot(int layer) { return casaSlot[layer]; }

    /** A state whose KV cache holds {@code max_position_embeddings} entries. */
    public DecoderState newState() { return newState(t.maxPositionEmbeddings(), 0); }

    /**
     * A state for at most {@code maxTextTokens} text tokens. In insertion mode the KV cache also
     * holds the image tokens, so its capacity is {@code maxTextTokens + maxImageTokens}; in CASA
     * mode images never enter it and {@code maxImageTokens} is ignored.
     */
    public DecoderState newState(int maxTextTokens, int maxImageTokens) {
        if (maxTextTokens < 1 || maxImageTokens < 0) {
            throw new IllegalArgumentException("need maxTextTokens >= 1 and maxImageTokens >= 0, got "
                    + maxTextTokens + ", " + maxImageTokens);
        }
        long capacity = config.fusion() == Fusion.INSERTION ? (long) maxTextTokens + maxImageTokens : maxTextTokens;
        return new DecoderState(this, Math.toIntExact(capacity), casaLayers);
    }

    /** Attaches an image at the current insertion point (after the text so far). */
    public void addImage(DecoderState state, float[] embeddings, int numImageTokens) {
        forward(state, new int[0], List.of(new ImageInput(embeddings, numImageTokens, 0)), LogitsMode.NONE);
    }

    /** Runs text tokens (a prefill chunk, or one token in decode); returns their logits as asked. */
    public float[] addTokens(DecoderState state, int[] tokens, LogitsMode mode) {
        return forward(state, tokens, List.of(), mode);
    }

    /**
     * Runs {@code tokens} with {@code images} inserted before the token at each {@code insertAt}
     * (relative to this call; non-decreasing; equal to tokens.length for an image after the last
     * token) in one pass, continuing from what the state holds.
     *
     * @return logits {@code [rows, vocab_size]} row-major: one row per text token ({@link LogitsMode#ALL});
     *         the row of the call's last stream position ({@link LogitsMode#LAST}: the last text token
     *         in CASA mode, where images take no position; in insertion mode an image's last row if the
     *         call ends with an image; none if the call adds no position); or none ({@link LogitsMode#NONE})
     */
    public float[] forward(DecoderState state, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        if (state.owner.weights != weights) throw new IllegalArgumentException("the state belongs to another model");
        validate(tokens, images);
        checkCapacity(state, tokens, images);
        if (tokens.length <= prefillChunk) return forwardChunk(state, tokens, images, mode);
        int vocab = t.vocabSize();
        float[] all = mode == LogitsMode.ALL ? new float[tokens.length * vocab] : null;
        float[] last = new float[0];
        for (int from = 0; from < tokens.length; from += prefillChunk) {
            int to = Math.min(tokens.length, from + prefillChunk);
            boolean lastChunk = to == tokens.length;
            List<ImageInput> chunkImages = new ArrayList<>();
            for (ImageInput img : images) {
                if (img.insertAt() >= from && (img.insertAt() < to || lastChunk)) {
                    chunkImages.add(new ImageInput(img.embeddings(), img.numTokens(), img.insertAt() - from));
                }
            }
            LogitsMode chunkMode = mode == LogitsMode.ALL ? mode : lastChunk ? mode : LogitsMode.NONE;
            float[] out = forwardChunk(state, Arrays.copyOfRange(tokens, from, to), chunkImages, chunkMode);
            if (all != null) {
                System.arraycopy(out, 0, all, from * vocab, out.length);
            } else {
                last = out;
            }
        }
        return all != null ? all : last;
    }

    private float[] forwardChunk(DecoderState state, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        return config.fusion() == Fusion.CASA
                ? forwardCasa(state, tokens, images, mode)
                : forwardInsertion(state, tokens, images, mode);
    }

    /** Checked for the whole call before anything runs, so a refused call leaves the state unchanged. */
    private void checkCapacity(DecoderState s, int[] tokens, List<ImageInput> images) {
        if (config.fusion() == Fusion.CASA) {
            if ((long) s.textTokens + tokens.length > s.capacity) {
                throw new CacheOverflowException("KV cache full: " + s.textTokens + " text tokens cached + "
                        + tokens.length + " new > capacity " + s.capacity + " (DecoderState maxTextTokens)");
            }
            return;
        }
        long imageTokens = 0;
        for (ImageInput img : images) imageTokens += img.numTokens();
        if (s.kvEntries + tokens.length + imageTokens > s.capacity) {
            throw new CacheOverflowException("KV cache full: " + s.kvEntries + " entries cached + "
                    + (tokens.length + imageTokens) + " new (" + tokens.length + " text + " + imageTokens
                    + " image tokens) > capacity " + s.capacity + " (DecoderState maxTextTokens + maxImageTokens)");
        }
    }

    private void validate(int[] tokens, List<ImageInput> images) {
        for (int j = 0; j < tokens.length; j++) {
            if (tokens[j] < 0 || tokens[j] >= t.vocabSize()) {
                throw new IllegalArgumentException("token " + j + " has id " + tokens[j]
                        + ", out of range [0, vocab_size=" + t.vocabSize() + ")");
            }
        }
        int previous = 0;
        for (int m = 0; m < images.size(); m++) {
            ImageInput img = images.get(m);
            if (img.insertAt() < previous || img.insertAt() > tokens.length) {
                throw new IllegalArgumentException("image " + m + ": insertAt " + img.insertAt()
                        + " must be non-decreasing and within [0, " + tokens.length + "]");
            }
            previous = img.insertAt();
            long expected = (long) img.numTokens() * t.hiddenSize();
            if (img.embeddings().length != expected) {
                throw new IllegalArgumentException("image " + m + ": " + img.embeddings().length + " embedding floats, expected "
                        + img.numTokens() + " tokens x hidden_size " + t.hiddenSize() + " = " + expected);
            }
        }
    }

    // ---------------------------------------------------------------- CASA mode

    private float[] forwardCasa(DecoderState s, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        int rows = tokens.length;
        WindowPlan plan = WindowPlan.plan(s, rows, images);
        s.ensureWindowRows(plan.peakRows, plan.peakImageKeys + s.capacity);
        s.ensureScratchRows(rows);
        s.ensureImageNorm(plan.maxImageTokens * t.hiddenSize());

        embed(tokens, s.h, 0);
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            Layer w = weights.layer(l);
            if (rows > 0) selfAttention(s, l, w, rows);
            if (casaSlot[l] >= 0) {
                casaAttention(s, l, w, rows, plan, images);
                if (rows > 0) {
                    VectorMath.add(s.h, 0, s.sa, 0, rows * t.hiddenSize());
                    VectorMath.add(s.h, 0, s.ca, 0, rows * t.hiddenSize());
                }
            } else if (rows > 0) {
                VectorMath.add(s.h, 0, s.sa, 0, rows * t.hiddenSize());
            }
            if (rows > 0) mlp(s, w, rows);
        }
        s.kvEntries += rows;
        s.textTokens += rows;
        plan.commit(s);
        int[] textRows = new int[rows];
        for (int j = 0; j < rows; j++) textRows[j] = j;
        return logits(s, textRows, rows, mode);
    }

    private void casaAttention(DecoderState s, int l, Layer w, int rows, WindowPlan plan, List<ImageInput> images) {
        boolean shared = config.casa().shareProjections();
        float[] norm = shared ? w.inputNorm() : w.casaNorm();
        AttentionWeights a = shared ? w.selfAttn() : w.casaAttn();
        int kvd = t.kvDim(), qd = t.queryDim();
        int slot = casaSlot[l];
        float[] wk = s.windowK[slot], wv = s.windowV[slot];
        if (rows > 0 && !shared) {
            // Text queries/keys/values of the whole chunk in one batch, rotated at their text positions.
            rmsNormRows(s.h, norm, s.x, rows);
            project(s.x, rows, a.q(), s.q, 0);
            project(s.x, rows, a.k(), s.k, 0);
            project(s.x, rows, a.v(), s.v, 0);
            for (int r = 0; r < rows; r++) {
                rope.apply(s.q, r * qd, t.numAttentionHeads(), s.textTokens + r);
                rope.apply(s.k, r * kvd, t.numKeyValueHeads(), s.textTokens + r);
            }
        }
        // Shared projections: q is still in s.q and the text keys/values are in the self-attention cache.
        float[] textK = shared ? s.selfK[l] : s.k, textV = shared ? s.selfV[l] : s.v;
        int textBase = shared ? s.textTokens : 0;
        for (WindowPlan.Step step : plan.steps) {
            if (step.isImage()) {
                ImageInput img = images.get(step.image());
                int n = img.numTokens();
                rmsNormRows(img.embeddings(), norm, s.imageNorm, n);
                project(s.imageNorm, n, a.k(), wk, step.keyRow() * kvd);
                project(s.imageNorm, n, a.v(), wv, step.keyRow() * kvd);
                if (config.casa().imageRope() == ImageRope.WINDOW_START) {
                    for (int r = 0; r < n; r++) {
                        rope.apply(wk, (step.keyRow() + r) * kvd, t.numKeyValueHeads(), step.ropePosition());
                    }
                }
            } else {
                int n = step.to() - step.from();
                System.arraycopy(textK, (textBase + step.from()) * kvd, wk, step.keyRow() * kvd, n * kvd);
                System.arraycopy(textV, (textBase + step.from()) * kvd, wv, step.keyRow() * kvd, n * kvd);
                int textKeys = step.textBefore() + n;
                Attention.attend(pool, s.q, step.from() * qd, qd, n, t.numAttentionHeads(), t.headDim(),
                        wk, 0, wv, 0, kvd, step.imageKeys() + textKeys, t.numKeyValueHeads(),
                        AttentionMask.window(step.imageKeys(), textKeys, n), scale,
                        s.att, step.from() * qd, qd);
            }
        }
        if (rows > 0) project(s.att, rows, a.o(), s.ca, 0);
    }

    // ---------------------------------------------------------------- insertion mode

    private float[] forwardInsertion(DecoderState s, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        int d = t.hiddenSize();
        int imageTokens = 0;
        for (ImageInput img : images) imageTokens += img.numTokens();
        int rows = tokens.length + imageTokens;
        s.ensureScratchRows(rows);
        // The stream: text embeddings with each image's rows spliced in at its insertion point.
        int[] textRows = new int[tokens.length];
        int row = 0, done = 0;
        for (int m = 0; m <= images.size(); m++) {
            int until = m < images.size() ? images.get(m).insertAt() : tokens.length;
            for (int j = done; j < until; j++) {
                textRows[j] = row;
                weights.embedTokens().copyRow(tokens[j], s.h, row * d);
                row++;
            }
            done = until;
            if (m == images.size()) break;
            ImageInput img = images.get(m);
            System.arraycopy(img.embeddings(), 0, s.h, row * d, img.numTokens() * d);
            row += img.numTokens();
        }
        if (rows > 0) {
            for (int l = 0; l < t.numHiddenLayers(); l++) {
                Layer w = weights.layer(l);
                selfAttention(s, l, w, rows);
                VectorMath.add(s.h, 0, s.sa, 0, rows * d);
                mlp(s, w, rows);
            }
        }
        s.kvEntries += rows;
        s.textTokens += tokens.length;
        s.imageTokensInCache += imageTokens;
        return logits(s, textRows, rows, mode);
    }

    // ---------------------------------------------------------------- shared pieces

    /** Writes the embedding rows of {@code tokens} into {@code out} from {@code offset}. */
    private void embed(int[] tokens, float[] out, int offset) {
        Tensor table = weights.embedTokens();
        for (int j = 0; j < tokens.length; j++) table.copyRow(tokens[j], out, offset + j * t.hiddenSize());
    }

    /**
     * Causal self-attention of the chunk's rows over the KV cache; rows take positions
     * {@code kvEntries + r}. Leaves q in {@code s.q} (rotated) and o_proj's output in {@code s.sa}.
     */
    private void selfAttention(DecoderState s, int l, Layer w, int rows) {
        int kvd = t.kvDim(), qd = t.queryDim();
        AttentionWeights a = w.selfAttn();
        int base = s.kvEntries;
        rmsNormRows(s.h, w.inputNorm(), s.x, rows);
        project(s.x, rows, a.q(), s.q, 0);
        // Keys and values go straight into the cache.
        project(s.x, rows, a.k(), s.selfK[l], base * kvd);
        project(s.x, rows, a.v(), s.selfV[l], base * kvd);
        for (int r = 0; r < rows; r++) {
            rope.apply(s.q, r * qd, t.numAttentionHeads(), base + r);
            rope.apply(s.selfK[l], (base + r) * kvd, t.numKeyValueHeads(), base + r);
        }
        int keys = base + rows;
        Attention.attend(pool, s.q, 0, qd, rows, t.numAttentionHeads(), t.headDim(),
                s.selfK[l], 0, s.selfV[l], 0, kvd, keys, t.numKeyValueHeads(),
                AttentionMask.causal(keys, rows), scale, s.att, 0, qd);
        project(s.att, rows, a.o(), s.sa, 0);
    }

    /** {@code h += down(act(gate(y)) * up(y))}, {@code y = RMSNorm(h, post_attention_layernorm)}. */
    private void mlp(DecoderState s, Layer w, int rows) {
        int inter = t.intermediateSize();
        rmsNormRows(s.h, w.postAttentionNorm(), s.x, rows);
        project(s.x, rows, w.gate(), s.gate, 0);
        project(s.x, rows, w.up(), s.up, 0);
        t.hiddenAct().gatedProduct(s.gate, 0, s.up, 0, rows * inter);
        project(s.gate, rows, w.down(), s.sa, 0);
        VectorMath.add(s.h, 0, s.sa, 0, rows * t.hiddenSize());
    }

    /** Final norm and lm_head over the text rows (ALL) or the last row of the stream (LAST). */
    private float[] logits(DecoderState s, int[] textRows, int rows, LogitsMode mode) {
        int[] selected = switch (mode) {
            case ALL -> textRows;
            case LAST -> rows > 0 ? new int[] {rows - 1} : new int[0];
            case NONE -> new int[0];
        };
        int n = selected.length;
        if (n == 0) return new float[0];
        int d = t.hiddenSize();
        for (int j = 0; j < n; j++) {
            Norms.rmsNorm(s.h, selected[j] * d, weights.finalNorm(), eps, s.x, j * d, d);
        }
        float[] out = new float[n * t.vocabSize()];
        Matmul.matmul(pool, s.x, 0, n, weights.lmHead(), null, out, 0);
        return out;
    }

    private void rmsNormRows(float[] in, float[] weight, float[] out, int rows) {
        int d = t.hiddenSize();
        for (int r = 0; r < rows; r++) Norms.rmsNorm(in, r * d, weight, eps, out, r * d, d);
    }

    private void project(float[] in, int rows, Linear linear, float[] out, int outOffset) {
        Matmul.matmul(pool, in, 0, rows, linear.weight(), linear.bias(), out, outOffset);
    }
}
