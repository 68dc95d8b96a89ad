package dev.casa.core.kernels;

import java.util.Objects;

/**
 * Multi-head attention with GQA: query head h reads key/value head {@code h / (heads / kvHeads)}.
 * Layouts are token-major: {@code q[i*qStride + h*headDim + d]}, {@code k[j*kvStride + g*headDim + d]},
 * same for v and out. Scores and softmax in fp32 with the given scale.
 *
 * <p>Fused: scores are computed one block of keys at a time and folded into a running max, sum and
 * output accumulator per query row (online softmax), so no query × key matrix is ever stored. Many
 * queries go to {@link TiledAttention} (query rows of one kv head vectorized together); one or a few
 * queries go to {@link DecodeAttention} (dot products along the head dimension, keys split across
 * threads when there are few kv heads). A query that sees no key gets a zero output.
 *
 * <p>Each query sees one contiguous range of keys ({@link AttentionMask}): a prefix + causal rule for
 * text, or packed variable-length segments ({@link AttentionMask#segments}, HF's {@code cu_seqlens})
 * for vision towers, where the tiled kernel's work units are (tile of one segment, kv head) pairs and
 * a tile only reads its own segment's keys.
 */
public final class Attention {
    private Attention() {}

    /** Which kernel to use; {@link #AUTO} picks by the number of query rows per kv head. */
    enum Kernel { AUTO, TILED, DECODE }

    public static void attend(ThreadPool pool,
                              float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                              float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys, int kvHeads,
                              AttentionMask mask, float scale,
                              float[] out, int outOffset, int outStride) {
        attend(pool, q, qOffset, qStride, numQueries, heads, headDim, k, kOffset, v, vOffset, kvStride, numKeys,
                kvHeads, mask, scale, out, outOffset, outStride, Kernel.AUTO, 0);
    }

    /** As above with a forced kernel and, for the decode kernel, a forced number of key splits (0 = auto). */
    static void attend(ThreadPool pool,
                       float[] q, int qOffset, int qStride, int numQueries, int heads, int headDim,
                       float[] k, int kOffset, float[] v, int vOffset, int kvStride, int numKeys, int kvHeads,
                       AttentionMask mask, float scale,
                       float[] out, int outOffset, int outStride, Kernel kernel, int keySplits) {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(mask, "mask");
        if (heads < 1 || kvHeads < 1 || headDim < 1) {
            throw new IllegalArgumentException("attention needs heads, kvHeads, headDim >= 1, got heads=" + heads
                    + " kvHeads=" + kvHeads + " headDim=" + headDim);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }
        if (numQueries < 0 || numKeys < 0) {
            throw new IllegalArgumentException("negative size: numQueries=" + numQueries + " numKeys=" + numKeys);
        }
        if (mask.isSegmented() && (numQueries != mask.segmentTokens() || numKeys != mask.segmentTokens())) {
            throw new IllegalArgumentException("a segment mask over " + mask.segmentTokens() + " tokens needs as many queries"
                    + " and keys, got numQueries=" + numQueries + " numKeys=" + numKeys);
        }
        if (numQueries == 0) return;
        checkExtent("q", q, qOffset, qStride, numQueries, heads * headDim);
        checkExtent("out", out, outOffset, outStride, numQueries, heads * headDim);
        if (numKeys > 0) {
            checkExtent("k", k, kOffset, kvStride, numKeys, kvHeads * headDim);
            checkExtent("v", v, vOffset, kvStride, numKeys, kvHeads * headDim);
        }
        AttentionProblem p = new AttentionProblem(q, qOffset, qStride, numQueries, heads, headDim,
                k, kOffset, v, vOffset, kvStride, numKeys, kvHeads, mask, scale, out, outOffset, outStride);
        boolean decode = switch (kernel) {
            case TILED -> false;
            case DECODE -> true;
            case AUTO -> numQueries == 1 || numQueries * p.group < TiledAttention.ROWS / 2;
        };
        if (decode) {
            DecodeAttention.run(pool, p, keySplits);
        } else {
            TiledAttention.run(pool, p);
        }
    }

    private static void checkExtent(String name, float[] a, int offset, int stride, int rows, int width) {
        Objects.requireNonNull(a, name);
        if (offset < 0 || stride < 0 || (rows > 1 && stride < width)) {
            throw new IllegalArgumentException(name + ": bad offset/stride " + offset + "/" + stride
                    + " for rows of " + width + " floats");
        }
        long end = offset + (long) (rows - 1) * stride + width;
        if (end > a.length) {
            throw new IllegalArgumentException(name + ": needs " + end + " floats (" + rows + " rows of " + width
                    + ", offset " + offset + ", stride " + stride + ") but the array has " + a.length);
        }
    }
}
