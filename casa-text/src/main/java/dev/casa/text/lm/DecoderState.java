package dev.casa.text.lm;

import dev.casa.text.casa.CasaWindowState;
import java.util.Arrays;

/**
 * The caches and scratch buffers of one sequence (a session) with a {@link LanguageModel}; not thread-safe.
 *
 * <ul>
 *   <li>Self-attention KV cache: rotated keys and values of every row fed so far, per layer, grown in
 *       chunks as the sequence grows (never beyond {@link #capacity()}), so memory follows use.</li>
 *   <li>The CASA window state, for a model with CASA layers (see {@link CasaWindowState}).</li>
 *   <li>Activation scratch sized for the largest chunk seen, reused by every call.</li>
 * </ul>
 */
public final class DecoderState {
    /** KV entries added per growth step at least (and the first allocation). */
    static final int KV_GROWTH = 256;

    final LanguageModel owner;
    final int capacity;
    final int kvDim;

    /** [layer][entry · kvDim + j]: rotated keys, and values. */
    final float[][] selfK;
    final float[][] selfV;
    int kvRows;
    int kvEntries;
    int textTokens;
    int imageTokensInCache;
    int nextPosition;
    final CasaWindowState casa;

    // Scratch, [rows · width]; cos/sin: [rows · head_dim/2].
    int scratchRows;
    float[] h, x, q, k, v, att, sa, ca, gate, up, cos, sin;
    int[] positions = new int[0];
    private float[] lastLogits;

    DecoderState(LanguageModel owner, int capacity) {
        TextConfig t = owner.config();
        this.owner = owner;
        this.capacity = capacity;
        this.kvDim = t.kvDim();
        if ((long) capacity * kvDim > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + capacity + " entries x " + kvDim
                    + " floats exceeds one Java array per layer; use a smaller capacity");
        }
        selfK = new float[t.numHiddenLayers()][0];
        selfV = new float[t.numHiddenLayers()][0];
        casa = owner.casaLayers() == null ? null : owner.casaLayers().newState();
        ensureScratchRows(1);
    }

    /** Grows every layer's KV arrays to hold {@code entries} rows (in steps, capped at the capacity). */
    void ensureKv(int entries) {
        if (entries <= kvRows) return;
        int grown = Math.min(capacity, Math.max(entries, Math.max(kvRows + KV_GROWTH, kvRows + kvRows / 2)));
        for (int l = 0; l < selfK.length; l++) {
            selfK[l] = Arrays.copyOf(selfK[l], grown * kvDim);
            selfV[l] = Arrays.copyOf(selfV[l], grown * kvDim);
        }
        kvRows = grown;
    }

    void ensureScratchRows(int rows) {
        if (rows <= scratchRows) return;
        TextConfig t = owner.config();
        int d = t.hiddenSize(), qd = t.queryDim(), inter = t.intermediateSize(), half = t.headDim() / 2;
        h = new float[rows * d];
        x = new float[rows * d];
        sa = new float[rows * d];
        ca = new float[rows * d];
        q = new float[rows * qd];
        att = new float[rows * qd];
        k = new float[rows * kvDim];
        v = new float[rows * kvDim];
        gate = new float[rows * inter];
        up = new float[rows * inter];
        cos = new float[rows * half];
        sin = new float[rows * half];
        scratchRows = rows;
    }

    /** The buffer of {@link LogitsMode#LAST} rows, one vocabulary wide, allocated on first use. */
    float[] lastLogits() {
        if (lastLogits == null) lastLogits = new float[owner.config().vocabSize()];
        return lastLogits;
    }

    /** Forgets everything (keeps the buffers): the state is as new. */
    public void clear() {
        kvEntries = 0;
        textTokens = 0;
        imageTokensInCache = 0;
        nextPosition = 0;
        if (casa != null) casa.clear();
    }

    /** The most rows the self-attention KV cache may hold. */
    public int capacity() { return capacity; }

    /** Text tokens seen so far. */
    public int textTokens() { return textTokens; }

    /** Entries in the self-attention KV cache of every layer (text, plus image rows of spliced images). */
    public int selfAttentionKvEntries() { return kvEntries; }

    /** Image rows held in the self-attention KV cache (0 when images go through CASA layers). */
    public int imageTokensInCache() { return imageTokensInCache; }

    /** The position the next row takes by default (1 + the largest position fed so far). */
    public int nextPosition() { return nextPosition; }

    /** The CASA window state, or null for a model without CASA layers. */
    public CasaWindowState casaWindow() { return casa; }

    /** Images of the current CASA window (0 without CASA layers). */
    public int imagesInCurrentWindow() { return casa == null ? 0 : casa.images(); }

    /** Insertion point (text position) of the current CASA window. */
    public int windowStart() { return casa == null ? 0 : casa.start(); }

    /** Image keys of the current CASA window. */
    public int windowImageKeys() { return casa == null ? 0 : casa.imageKeys(); }

    /** Text keys of the current CASA window. */
    public int windowTextKeys() { return casa == null ? 0 : casa.textKeys(); }

    /** Keys held by CASA layer {@code layer} for the current window (image + text), 0 if it is not a CASA layer. */
    public int casaWindowEntries(int layer) {
        return casa == null || !owner.casaLayers().isCasaLayer(layer) ? 0 : casa.imageKeys() + casa.textKeys();
    }

    /** Floats held by the caches (self-attention KV + CASA window buffers), to check memory stays bounded. */
    public long cacheFloats() {
        long total = 0;
        for (float[] a : selfK) total += a.length;
        for (float[] a : selfV) total += a.length;
        return total + (casa == null ? 0 : casa.floats());
    }

    /** Bytes of the caches (float32). */
    public long cacheBytes() { return 4 * cacheFloats(); }
}
