package dev.casa.core.kernels;

/** The arguments of one attention call, validated by {@link Attention}, shared by the kernels. */
final class AttentionProblem {
    final float[] q;
    final int qOffset, qStride, numQueries, heads, headDim;
    final float[] k, v;
    final int kOffset, vOffset, kvStride, numKeys, kvHeads;
    final AttentionMask mask;
    final float scale;
    final float[] out;
    final int outOffset, outStride;
    /** Query heads per kv head. */
    final int group;

    AttentionProblem(float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                     float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys, int kvHeads,
                     AttentionMask mask, float scale, float[] out, int outOffset, int outStride) {
        this.q = q;
        this.qOffset = qOffset;
        this.qStride = qStride;
        this.numQueries = numQueries;
        this.heads = heads;
        this.headDim = headDim;
        this.k = k;
        this.kOffset = kOffset;
        this.v = v;
        this.vOffset = vOffset;
        this.kvStride = kvStride;
        this.numKeys = numKeys;
        this.kvHeads = kvHeads;
        this.mask = mask;
        this.scale = scale;
        this.out = out;
        this.outOffset = outOffset;
        this.outStride = outStride;
        this.group = heads / kvHeads;
    }

    /** First key query i sees. */
    int keyStart(int i) {
        return mask.keyStart(i);
    }

    /** End (exclusive) of the keys query i sees: it sees {@code [keyStart(i), keyEnd(i))}. */
    int keyEnd(int i) {
        return mask.keyEnd(i, numKeys);
    }

    /** Start of row {@code r} of kv head {@code g}, rows ordered query-major: r = i*group + head-in-group. */
    int qBase(int g, int r) {
        int i = r / group, h = g * group + r % group;
        return qOffset + i * qStride + h * headDim;
    }

    int outBase(int g, int r) {
        int i = r / group, h = g * group + r % group;
        return outOffset + i * outStride + h * headDim;
    }
}
