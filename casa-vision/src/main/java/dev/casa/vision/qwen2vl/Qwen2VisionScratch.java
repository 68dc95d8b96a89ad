package dev.casa.vision.qwen2vl;

/**
 * Activation buffers of one forward over up to {@link #capacity} patch rows. Allocated once, grown when
 * a larger call comes, and reused (first touch of fresh memory is slow); used by one call at a time.
 */
final class Qwen2VisionScratch {
    final int capacity;
    final float[] hidden;    // residual stream               [N, D]
    final float[] normed;    // norm output / sublayer output; the last states in patch order [N, D]
    final float[] qkv;       // q | k | v per row             [N, 3D]
    final float[] context;   // attention output; merger hidden [N, D]
    final float[] wide;      // gathered patches [N, C·T·P·P] or MLP hidden / gate [N, I]
    final float[] wide2;     // gated MLP up [N, I] (Qwen2.5-VL)
    final float[] cos, sin;  // rotary table                  [N, headDim/2]

    Qwen2VisionScratch(Qwen2VisionConfig c, int capacity) {
        this.capacity = capacity;
        int d = c.embedDim(), n = capacity;
        hidden = new float[Math.multiplyExact(n, d)];
        normed = new float[hidden.length];
        qkv = new float[Math.multiplyExact(n, 3 * d)];
        context = new float[hidden.length];
        wide = new float[Math.multiplyExact(n, Math.max(c.intermediateSize(), c.patchVectorSize()))];
        wide2 = c.variant() == Qwen2VisionConfig.Variant.QWEN2_5_VL
                ? new float[Math.multiplyExact(n, c.intermediateSize())] : new float[0];
        cos = new float[Math.multiplyExact(n, c.headDim() / 2)];
        sin = new float[cos.length];
    }
}
