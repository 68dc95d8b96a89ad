package dev.casa.core.kernels;

/**
 * Multi-head attention with GQA: query head h reads key/value head {@code h / (heads / kvHeads)}.
 * Layouts are token-major: {@code q[i*qStride + h*headDim + d]}, {@code k[j*kvStride + g*headDim + d]},
 * same for v and out. Softmax in fp32 with the given scale.
 * TODO(foundation): fused online-softmax kernel; this is the naive version.
 */
public final class Attention {
    private Attention() {}

    public static void attend(ThreadPool pool,
                              float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                              float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys, int kvHeads,
                              AttentionMask mask, float scale,
                              float[] out, int outOffset, int outStride) {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }
        int group = heads / kvHeads;
        pool.parallelFor(numQueries * heads, (t0, t1) -> {
            float[] scores = new float[numKeys];
            for (int t = t0; t < t1; t++) {
                int i = t / heads, h = t % heads, g = h / group;
                int visible = mask.visibleKeys(i, numKeys);
                int qBase = qOffset + i * qStride + h * headDim;
                int oBase = outOffset + i * outStride + h * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    int kBase = kOffset + j * kvStride + g * headDim;
                    float s = 0f;
                    for (int d = 0; d < headDim; d++) s += q[qBase + d] * k[kBase + d];
                    scores[j] = s * scale;
                    max = Math.max(max, scores[j]);
                }
                float sum = 0f;
                for (int j = 0; j < visible; j++) {
                    scores[j] = (float) Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int d = 0; d < headDim; d++) out[oBase + d] = 0f;
                if (visible == 0) continue;
                for (int j = 0; j < visible; j++) {
                    float p = scores[j] / sum;
                    int vBase = vOffset + j * kvStride + g * headDim;
                    for (int d = 0; d < headDim; d++) out[oBase + d] += p * v[vBase + d];
                }
            }
        });
    }
}
