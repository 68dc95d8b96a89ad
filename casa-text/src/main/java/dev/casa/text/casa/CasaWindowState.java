package dev.casa.text.casa;

import java.util.Arrays;

/**
 * The current CASA window of a sequence (model-format.md §4.4): per CASA layer, the keys/values of the
 * window's image(s) followed by those of the window's text. An image arriving after text of the current
 * window starts a new window (the old one is dropped); one arriving before any text joins it. The
 * buffers grow to the largest window seen, never with the number of images.
 */
public final class CasaWindowState {
    final int kvDim;
    /** Per CASA layer slot: image rows first, then the window's text rows. */
    float[][] windowK;
    float[][] windowV;
    int rowCapacity;
    int start;
    int images;
    int imageKeys;
    int textKeys;
    float[] imageNorm = new float[0];
    /** Scratch: RoPE cos/sin rows of the image keys of a call (shared by all CASA layers). */
    float[] imageCos = new float[0], imageSin = new float[0];

    CasaWindowState(int slots, int kvDim) {
        this.kvDim = kvDim;
        windowK = new float[slots][0];
        windowV = new float[slots][0];
    }

    /** Grows the buffers to hold {@code rows} keys, keeping the current window's rows. */
    void ensureRows(int rows) {
        if (rows <= rowCapacity) return;
        int grown = Math.max(rows, rowCapacity + rowCapacity / 2);
        for (int s = 0; s < windowK.length; s++) {
            windowK[s] = Arrays.copyOf(windowK[s], grown * kvDim);
            windowV[s] = Arrays.copyOf(windowV[s], grown * kvDim);
        }
        rowCapacity = grown;
    }

    void ensureImageNorm(int floats) {
        if (imageNorm.length < floats) imageNorm = new float[floats];
    }

    void ensureImageRope(int floats) {
        if (imageCos.length < floats) {
            imageCos = new float[floats];
            imageSin = new float[floats];
        }
    }

    public void clear() {
        start = 0;
        images = 0;
        imageKeys = 0;
        textKeys = 0;
    }

    /** Images of the current window (0 in window −1). */
    public int images() { return images; }

    /** Text position of the current window's insertion point (0 for window −1). */
    public int start() { return start; }

    public int imageKeys() { return imageKeys; }

    public int textKeys() { return textKeys; }

    /** Floats held by the window buffers. */
    public long floats() {
        long total = 0;
        for (float[] a : windowK) total += a.length;
        for (float[] a : windowV) total += a.length;
        return total;
    }
}
