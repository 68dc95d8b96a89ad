package dev.casa.vision.siglip;

/**
 * Activation buffers of one tower pass over up to {@link #capacity} tokens. Allocated once and reused
 * (first touch of fresh memory is slow); used by one call at a time.
 */
final class SiglipScratch {
    final int capacity;
    final float[] hidden;    // residual stream               [T, D]
    final float[] normed;    // LN output / sublayer output   [T, D]
    final float[] q, k, v;   // projections                   [T, D]
    final float[] context;   // attention output, MLP output  [T, D]
    final float[] wide;      // im2col patches [T, C·p·p] or MLP hidden [T, I]

    SiglipScratch(SiglipVisionConfig c, int capacity) {
        this.capacity = capacity;
        long td = (long) capacity * c.hiddenSize();
        hidden = new float[Math.toIntExact(td)];
        normed = new float[hidden.length];
        q = new float[hidden.length];
        k = new float[hidden.length];
        v = new float[hidden.length];
        context = new float[hidden.length];
        wide = new float[Math.toIntExact((long) capacity * Math.max(c.intermediateSize(), c.patchVectorSize()))];
    }
}
