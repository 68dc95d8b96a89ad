package dev.casa.vision;

/**
 * Activation buffers for encoding up to {@link #images} images at once. Allocated once and reused
 * across calls (first touch of fresh memory is slow); one instance is used by one call at a time.
 */
final class VisionScratch {
    final int images;
    final float[] hidden;    // residual stream h       [B·N, D]
    final float[] normed;    // LN output / sublayer out [B·N, D]
    final float[] q, k, v;   // projections             [B·N, D]
    final float[] context;   // attention output        [B·N, D]
    final float[] wide;      // im2col patches [B·N, C·p·p] or MLP hidden [B·N, I]
    final float[] projected; // projector hidden        [B·N, d]

    VisionScratch(VisionConfig config, int projectorWidth, int images) {
        this.images = images;
        int tokens = images * config.numPatches();
        int d = config.hiddenSize();
        hidden = new float[tokens * d];
        normed = new float[tokens * d];
        q = new float[tokens * d];
        k = new float[tokens * d];
        v = new float[tokens * d];
        context = new float[tokens * d];
        wide = new float[tokens * Math.max(config.intermediateSize(), config.patchVectorSize())];
        projected = new float[tokens * projectorWidth];
    }
}
