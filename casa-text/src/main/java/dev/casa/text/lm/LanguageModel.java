package dev.casa.text.lm;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.Norms;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.casa.CasaLayers;
import dev.casa.text.casa.WindowPlan;
import java.util.List;

/**
 * A Llama-family decoder (HF {@code LlamaForCausalLM}, {@code HeliumForCausalLM}, {@code Qwen2ForCausalLM},
 * the language model of Qwen2-VL/Qwen2.5-VL and SmolVLM), optionally with CASA layers. Immutable and
 * shareable: every call works on a caller-owned {@link DecoderState}.
 *
 * <p>A call runs a {@link DecoderInput}: rows (token ids or given embeddings) at positions the caller
 * supplies (1-D, or 3-D for M-RoPE) or that continue the state's, layer by layer over all rows at once
 * (projections are one matmul with M = rows). Self-attention is causal over the KV cache. CASA layers
 * ({@link CasaLayers}) add their window attention beside it.
 */
public final class LanguageModel {
    /** Default prefill chunk: large enough for efficient matmuls, small enough for bounded scratch. */
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    private final TextConfig t;
    private final LanguageModelWeights weights;
    private final CasaLayers casa;
    private final ThreadPool pool;
    private final RotaryEmbedding rope;
    private final float scale;
    private final int prefillChunk;

    public LanguageModel(TextConfig config, LanguageModelWeights weights, CasaLayers casa, ThreadPool pool) {
        this(config, weights, casa, pool, DEFAULT_PREFILL_CHUNK);
    }

    private LanguageModel(TextConfig config, LanguageModelWeights weights, CasaLayers casa, ThreadPool pool, int prefillChunk) {
        this.t = config;
        this.weights = weights;
        this.casa = casa;
        this.pool = pool;
        this.rope = config.rotaryEmbedding();
        this.scale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.prefillChunk = prefillChunk;
    }

    /**
     * The same model, splitting calls longer than {@code tokens} rows into consecutive chunks: the logits
     * are the same, the scratch memory of a state is bounded by the chunk. States are interchangeable.
     */
    public LanguageModel withPrefillChunk(int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("prefill chunk must be >= 1 token, got " + tokens);
        return new LanguageModel(t, weights, casa, pool, tokens);
    }

    public TextConfig config() { return t; }

    public LanguageModelWeights weights() { return weights; }

    /** The CASA layers, or null for a plain decoder. */
    public CasaLayers casaLayers() { return casa; }

    public ThreadPool pool() { return pool; }

    /** Position values per row the inputs carry: 3 with M-RoPE, else 1. */
    public int positionAxes() { return rope.axes(); }

    /** A state holding up to {@code max_position_embeddings} KV entries (allocated as they are used). */
    public DecoderState newState() { return newState(t.maxPositionEmbeddings()); }

    /** A state whose self-attention KV cache holds at most {@code capacity} rows. */
    public DecoderState newState(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("KV capacity must be >= 1, got " + capacity);
        return new DecoderState(this, capacity);
    }

    /** Runs text tokens at the next positions (a prefill chunk, or one token in decode). */
    public float[] addTokens(DecoderState state, int[] tokens, LogitsMode mode) {
        return forward(state, DecoderInput.tokens(tokens), mode, null);
    }

    /** Receives the progress of a long call: {@code done} of {@code total} rows, after each prefill chunk. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    public float[] forward(DecoderState state, DecoderInput input, LogitsMode mode) {
        return forward(state, input, mode, null);
    }

    /**
     * Runs {@code input}, continuing from what the state holds.
     *
     * @return logits {@code [rows, vocab_size]} row-major: one row per input row with a token id
     *         ({@link LogitsMode#ALL}); the last row ({@link LogitsMode#LAST}; none if the call has no
     *         rows); or none ({@link LogitsMode#NONE}). The LAST row is the state's own buffer, reused by its next
     *         call (decode allocates no vocab-sized array per token): read or copy it before calling again.
     */
    public float[] forward(DecoderState state, DecoderInput input, LogitsMode mode, Progress progress) {
        if (state.owner.weights != weights) throw new IllegalArgumentException("the state belongs to another model");
        validate(input);
        int rows = input.rows();
        if ((long) state.kvEntries + rows > state.capacity) {
            throw new CacheOverflowException("KV cache full: " + state.kvEntries + " entries cached + " + rows
                    + " new > capacity " + state.capacity);
        }
        if (rows <= prefillChunk) {
            float[] out = forwardChunk(state, input, mode);
            if (progress != null) progress.update(rows, rows);
            return out;
        }
        int vocab = t.vocabSize(), d = t.hiddenSize(), axes = rope.axes();
        int textRows = 0;
        for (int id : input.tokens()) if (id >= 0) textRows++;
        float[] all = mode == LogitsMode.ALL ? new float[textRows * vocab] : null;
        float[] last = new float[0];
        int written = 0;
        for (int from = 0; from < rows; from += prefillChunk) {
            int to = Math.min(rows, from + prefillChunk);
            boolean lastChunk = to == rows;
            LogitsMode chunkMode = mode == LogitsMode.ALL ? mode : lastChunk ? mode : LogitsMode.NONE;
            float[] out = forwardChunk(state, input.slice(from, to, lastChunk, d, axes), chunkMode);
            if (all != null) {
                System.arraycopy(out, 0, all, written, out.length);
                written += out.length;
            } else {
                last = out;
            }
            if (progress != null) progress.update(to, rows);
        }
        return all != null ? all : last;
    }

    private void validate(DecoderInput in) {
        int[] tokens = in.tokens();
        int rows = tokens.length, d = t.hiddenSize();
        int[] er = in.embeddingRows();
        if (in.embeddings().length != (long) er.length * d) {
            throw new IllegalArgumentException(in.embeddings().length + " embedding floats for " + er.length
                    + " rows of hidden_size " + d);
        }
        for (int i = 0; i < er.length; i++) {
            if (er[i] < 0 || er[i] >= rows || (i > 0 && er[i] <= er[i - 1])) {
                throw new IllegalArgumentException("embedding rows must be increasing and within [0, " + rows + "), found " + er[i]);
            }
        }
        int e = 0;
        for (int r = 0; r < rows; r++) {
            boolean given = e < er.length && er[e] == r;
            if (given) e++;
            if (tokens[r] < 0 && !given) throw new IllegalArgumentException("row " + r + " has no token id and no embedding");
            if (tokens[r] >= t.vocabSize()) {
                throw new IllegalArgumentException("token " + r + " has id " + tokens[r] + ", out of range [0, vocab_size=" + t.vocabSize() + ")");
            }
            if (tokens[r] < -1) throw new IllegalArgumentException("token " + r + " has id " + tokens[r] + " (ids are >= 0; -1 marks an embedding row)");
        }
        if (in.positions() != null && in.positions().length != (long) rows * rope.axes()) {
            throw new IllegalArgumentException(in.positions().length + " position values for " + rows + " rows x "
                    + rope.axes() + " axes");
        }
        if (in.positions() != null) {
            for (int p : in.positions()) if (p < 0) throw new IllegalArgumentException("negative position " + p);
        }
        int previous = 0;
        List<ImageInput> images = in.attachments();
        if (!images.isEmpty() && casa == null) {
            throw new IllegalArgumentException("images attached to a decoder without CASA layers (splice them into the rows instead)");
        }
        for (int m = 0; m < images.size(); m++) {
            ImageInput img = images.get(m);
            if (img.insertAt() < previous || img.insertAt() > rows) {
                throw new IllegalArgumentException("image " + m + ": insertAt " + img.insertAt()
                        + " must be non-decreasing and within [0, " + rows + "]");
            }
            previous = img.insertAt();
            long expected = (long) img.numTokens() * d;
            if (img.embeddings().length != expected) {
                throw new IllegalArgumentException("image " + m + ": " + img.embeddings().length + " embedding floats, expected "
                        + img.numTokens() + " tokens x hidden_size " + d + " = " + expected);
            }
        }
    }

    private float[] forwardChunk(DecoderState s, DecoderInput in, LogitsMode mode) {
        int rows = in.rows(), d = t.hiddenSize();
        s.ensureScratchRows(Math.max(rows, 1));
        s.ensureKv(s.kvEntries + rows);
        embed(s, in);
        int firstPosition = positions(s, in);
        List<ImageInput> images = in.attachments();
        WindowPlan plan = casa == null ? null : casa.plan(s.casa, rows, images, firstPosition);
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            DecoderLayer layer = weights.layer(l);
            if (rows > 0) selfAttention(s, l, layer, rows);
            boolean fused = plan != null && casa.isCasaLayer(l);
            if (fused) {
                casa.attend(pool, l, layer, s.casa, plan, images, new CasaLayers.TextRows(rows, s.h, s.q, s.selfK[l], s.selfV[l],
                        s.kvEntries, s.cos, s.sin, s.x, s.k, s.v, s.att, s.ca));
            }
            if (rows > 0) {
                // h = h + sa + ca, summed in that order
                VectorMath.add(s.h, 0, s.sa, 0, rows * d);
                if (fused) VectorMath.add(s.h, 0, s.ca, 0, rows * d);
                mlp(s, layer, rows);
            }
        }
        int imageRows = 0;
        for (int id : in.tokens()) if (id < 0) imageRows++;
        s.kvEntries += rows;
        s.textTokens += rows - imageRows;
        s.imageTokensInCache += imageRows;
        if (plan != null) casa.commit(plan, s.casa);
        return logits(s, in, mode);
    }

    /** Input embeddings of every row: looked up by token id, or given. */
    private void embed(DecoderState s, DecoderInput in) {
        int d = t.hiddenSize();
        int[] tokens = in.tokens(), er = in.embeddingRows();
        Tensor table = weights.embedTokens();
        int e = 0;
        for (int r = 0; r < tokens.length; r++) {
            if (e < er.length && er[e] == r) {
                System.arraycopy(in.embeddings(), e * d, s.h, r * d, d);
                e++;
            } else {
                table.copyRow(tokens[r], s.h, r * d);
            }
        }
    }

    /**
     * Fills the cos/sin table of the call's rows (shared by every layer) and advances the state's next
     * position. Returns row 0's (first-axis) position, the text position CASA windows count from.
     */
    private int positions(DecoderState s, DecoderInput in) {
        int rows = in.rows(), axes = rope.axes();
        int[] pos = in.positions();
        if (pos == null) {
            if (s.positions.length < rows * axes) s.positions = new int[rows * axes];
            pos = s.positions;
            for (int r = 0; r < rows; r++) {
                for (int a = 0; a < axes; a++) pos[r * axes + a] = s.nextPosition + r;
            }
        }
        rope.table(pos, 0, rows, s.cos, s.sin, 0);
        int first = rows > 0 ? pos[0] : s.nextPosition;
        int max = s.nextPosition - 1;
        for (int i = 0; i < rows * axes; i++) max = Math.max(max, pos[i]);
        s.nextPosition = max + 1;
        return first;
    }

    /**
     * Causal self-attention of the call's rows over the KV cache. Leaves q in {@code s.q} (rotated) and
     * o_proj's output in {@code s.sa}; keys and values go straight into the cache.
     */
    private void selfAttention(DecoderState s, int l, DecoderLayer layer, int rows) {
        int kvd = t.kvDim(), qd = t.queryDim();
        AttentionProjections a = layer.selfAttn();
        int base = s.kvEntries;
        layer.inputLayernorm().forward(s.h, rows, s.x);
        Linear.forwardShared(pool, s.x, 0, rows, new Linear[] {a.q(), a.k(), a.v()},
                new float[][] {s.q, s.selfK[l], s.selfV[l]}, new int[] {0, base * kvd, base * kvd});
        rope.rotateRows(s.q, 0, qd, rows, t.numAttentionHeads(), s.cos, s.sin, 0);
        rope.rotateRows(s.selfK[l], base * kvd, kvd, rows, t.numKeyValueHeads(), s.cos, s.sin, 0);
        int keys = base + rows;
        Attention.attend(pool, s.q, 0, qd, rows, t.numAttentionHeads(), t.headDim(),
                s.selfK[l], 0, s.selfV[l], 0, kvd, keys, t.numKeyValueHeads(),
                AttentionMask.causal(keys, rows), scale, s.att, 0, qd);
        a.o().forward(pool, s.att, 0, rows, s.sa, 0);
    }

    /** {@code h += mlp(RMSNorm(h))}. */
    private void mlp(DecoderState s, DecoderLayer layer, int rows) {
        layer.postAttentionLayernorm().forward(s.h, rows, s.x);
        layer.mlp().forward(pool, s.x, rows, s.gate, s.up, s.sa);
        VectorMath.add(s.h, 0, s.sa, 0, rows * t.hiddenSize());
    }

    /** Final norm and lm_head over the rows with token ids (ALL) or the last row (LAST). */
    private float[] logits(DecoderState s, DecoderInput in, LogitsMode mode) {
        int rows = in.rows();
        int[] selected;
        switch (mode) {
            case ALL -> {
                int n = 0;
                for (int id : in.tokens()) if (id >= 0) n++;
                selected = new int[n];
                n = 0;
                for (int r = 0; r < rows; r++) if (in.tokens()[r] >= 0) selected[n++] = r;
            }
            case LAST -> selected = rows > 0 ? new int[] {rows - 1} : new int[0];
            default -> selected = new int[0];
        }
        int n = selected.length;
        if (n == 0) return new float[0];
        int d = t.hiddenSize();
        float[] normWeight = weights.norm().weight();
        float eps = weights.norm().eps();
        for (int j = 0; j < n; j++) Norms.rmsNorm(s.h, selected[j] * d, normWeight, eps, s.x, j * d, d);
        float[] out = mode == LogitsMode.LAST ? s.lastLogits() : new float[n * t.vocabSize()];
        Matmul.matmul(pool, s.x, 0, n, weights.lmHead(), null, out, 0);
        return out;
    }
}
