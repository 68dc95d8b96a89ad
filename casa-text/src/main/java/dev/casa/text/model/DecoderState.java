package dev.casa.text.model;

import java.util.Arrays;

/**
 * The caches and scratch buffers of one session with a {@link Decoder}; not thread-safe.
 *
 * <ul>
 *   <li>Self-attention KV cache, preallocated for {@link #capacity()} entries per layer: the text
 *       tokens only in CASA mode, text and image tokens in insertion mode.</li>
 *   <li>Per CASA layer, the current window: the image keys/values of the window's image(s)
 *       followed by the keys/values of the window's text. An image arriving after text of the
 *       current window starts a new window (the old one is dropped); one arriving before any text
 *       joins the current window. Its buffer grows to the largest window seen, never with the
 *       number of images.</li>
 *   <li>Activation scratch sized for the largest chunk seen, reused by every call.</li>
 * </ul>
 */
public final class DecoderState {
    final Decoder owner;
    final int capacity;
    final int kvDim;

    /** [layer][entry * kvDim + j], rotated keys. */
    final float[][] selfK;
    final float[][] selfV;
    int kvEntries;
    int textTokens;
    int imageTokensInCache;

    /** Per CASA layer slot: image rows first, then the window's text rows. */
    float[][] windowK;
    float[][] windowV;
    int windowRowCapacity;
    int windowStart;
    int windowImages;
    int windowImageKeys;
    int windowTextKeys;

    // Scratch, [rows * width].
    int scratchRows;
    float[] h, x, q, k, v, att, sa, ca, gate, up;
    float[] imageNorm = new float[0];

    DecoderState(Decoder owner, int capacity, int casaSlots) {
        TextConfig t = owner.config().text();
        this.owner = owner;
        this.capacity = capacity;
        this.kvDim = t.kvDim();
        long floats = (long) capacity * kvDim;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV cache of " + capacity + " entries x " + kvDim
                    + " floats exceeds one Java array per layer; use a smaller capacity");
        }
        int layers = t.numHiddenLayers();
        selfK = new float[layers][(int) floats];
        selfV = new float[layers][(int) floats];
        windowK = new float[casaSlots][0];
        windowV = new float[casaSlots][0];
        ensureScratchRows(1);
    }

    void ensureScratchRows(int rows) {
        if (rows <= scratchRows) return;
        TextConfig t = owner.config().text();
        int d = t.hiddenSize();
        int qd = t.queryDim();
        h = new float[rows * d];
        x = new float[rows * d];
        sa = new float[rows * d];
        ca = new float[rows * d];
        q = new float[rows * qd];
        att = new float[rows * qd];
        k = new float[rows * kvDim];
        v = new float[rows * kvDim];
        gate = new float[rows * t.intermediateSize()];
        up = new float[rows * t.intermediateSize()];
        scratchRows = rows;
    }

    /** Grows the window buffers to hold {@code rows} keys, keeping the current window's rows. */
    void ensureWindowRows(int rows, int limit) {
        if (rows <= windowRowCapacity) return;
        int grown = Math.max(rows, Math.min(2 * windowRowCapacity, limit));
        for (int s = 0; s < windowK.length; s++) {
            windowK[s] = Arrays.copyOf(windowK[s], grown * kvDim);
            windowV[s] = Arrays.copyOf(windowV[s], grown * kvDim);
        }
        windowRowCapacity = grown;
    }

    void ensureImageNorm(int floats) {
        if (imageNorm.length < floats) imageNorm = new float[floats];
    }

    /** Forgets everything (keeps the buffers): the state is as new. */
    public void clear() {
        kvEntries = 0;
        textTokens = 0;
        imageTokensInCache = 0;
        windowStart = 0;
        windowImages = 0;
        windowImageKeys = 0;
        windowTextKeys = 0;
    }

    /** Self-attention KV capacity in entries (text tokens in CASA mode; text + image tokens in insertion mode). */
    public int capacity() { return capacity; }

    /** Text tokens seen so far (the next text position in CASA mode). */
    public int textTokens() { return textTokens; }

    /** Entries in the self-attention KV cache of every layer. */
    public int selfAttentionKvEntries() { return kvEntries; }

    /** Image tokens held in the self-attention KV cache (insertion mode; always 0 in CASA mode). */
    public int imageTokensInCache() { return imageTokensInCache; }

    /** Images of the current CASA window (0 in window −1 and in insertion mode). */
    public int imagesInCurrentWindow() { return windowImages; }

    /** Insertion point P_m of the current CASA window (0 for window −1). */
    public int windowStart() { return windowStart; }

    /** Image keys of the current CASA window. */
    public int windowImageKeys() { return windowImageKeys; }

    /** Text keys of the current CASA window (text tokens since its insertion point). */
    public int windowTextKeys() { return windowTextKeys; }

    /** Keys held by CASA layer {@code layer} for the current window (image + text), 0 if it is not a CASA layer. */
    public int casaWindowEntries(int layer) {
        return owner.casaSlot(layer) < 0 ? 0 : windowImageKeys + windowTextKeys;
    }

    /** Floats held by the caches (self-attention KV + CASA window buffers), to check memory stays bounded. */
    public long cacheFloats() {
        long total = 0;
        for (float[] a : selfK) total += a.length;
        for (float[] a : selfV) total += a.length;
        for (float[] a : windowK) total += a.length;
        for (float[] a : windowV) total += a.length;
        return total;
    }
}
