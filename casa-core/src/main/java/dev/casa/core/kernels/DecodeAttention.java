package dev.casa.core.kernels;

import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for one or a few queries over many keys (decode). Work is vectorized along the head
 * dimension: scores are dot products (four keys at a time), the output accumulates {@code p·v}. All
 * query rows of one kv head (heads of the group × queries) run together so each key/value row is read
 * from memory once. With few kv heads the keys are also split across threads: each split keeps its own
 * max, sum and accumulator, and the calling thread merges them (log-sum-exp rescaling).
 */
final class DecodeAttention {
    private DecodeAttention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int KEY_BLOCK = 128;
    /** Smallest number of keys worth giving a split of its own. */
    private static final int MIN_SPLIT_KEYS = 256;

    static void run(ThreadPool pool, AttentionProblem p, int forcedSplits) {
        int rows = p.numQueries * p.group;
        int nMax = 0;
        for (int i = 0; i < p.numQueries; i++) nMax = Math.max(nMax, p.visible(i));
        int splits = forcedSplits > 0 ? forcedSplits : autoSplits(pool.threads(), p.kvHeads, nMax);
        int splitKeys = Math.max(1, ceilDiv(nMax, splits));
        int units = p.kvHeads * splits;
        int hd = p.headDim;
        // partial layout per (g, split, row): [max, sum, acc[hd]]
        int stride = hd + 2;
        float[] partials = splits > 1 ? AttentionScratch.get().partials(units * rows * stride) : null;
        int maxKeys = nMax;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(units, pool.threads()), (chunk, chunks) -> {
            AttentionScratch scratch = AttentionScratch.get();
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                int g = u / splits, s = u % splits;
                int j0 = Math.min(maxKeys, s * splitKeys), j1 = Math.min(maxKeys, j0 + splitKeys);
                unit(p, g, rows, j0, j1, scratch, partials, u * rows * stride);
            }
        });
        if (splits > 1) merge(p, rows, splits, partials);
    }

    /** One split per kv head when the heads alone keep every thread busy, else enough to do so. */
    static int autoSplits(int threads, int kvHeads, int keys) {
        if (threads == 1 || kvHeads % threads == 0 || kvHeads >= 4 * threads) return 1;
        int wanted = ceilDiv(4 * threads, kvHeads);
        return Math.max(1, Math.min(wanted, keys / MIN_SPLIT_KEYS));
    }

    /**
     * Keys {@code [j0, j1)} for all rows of kv head {@code g}. Writes the normalised output, or when
     * {@code partials} is given the unnormalised state at {@code partialBase}.
     */
    private static void unit(AttentionProblem p, int g, int rows, int j0, int j1, AttentionScratch scratch,
                             float[] partials, int partialBase) {
        int hd = p.headDim;
        float[] acc = scratch.accumulators(rows * hd);
        float[] sc = scratch.scores(KEY_BLOCK);
        float[] st = scratch.rowStats(3 * rows);   // [max | sum | visible]
        for (int r = 0; r < rows; r++) {
            st[r] = Float.NEGATIVE_INFINITY;
            st[rows + r] = 0f;
            st[2 * rows + r] = p.visible(r / p.group);
        }
        java.util.Arrays.fill(acc, 0, rows * hd, 0f);
        int kBase = p.kOffset + g * hd, vBase = p.vOffset + g * hd;

        for (int b0 = j0; b0 < j1; b0 += KEY_BLOCK) {
            int bk = Math.min(KEY_BLOCK, j1 - b0);
            for (int r = 0; r < rows; r++) {
                int n = Math.min(bk, (int) st[2 * rows + r] - b0);
                if (n <= 0) continue;
                scores(p.q, p.qBase(g, r), p.k, kBase + b0 * p.kvStride, p.kvStride, n, hd, p.scale, sc);
                float oldMax = st[r];
                float max = Math.max(oldMax, VectorMath.max(sc, 0, n));
                float sum = VectorMath.expShifted(sc, 0, n, max);
                float corr = (float) Math.exp(oldMax - max);   // 0 on the first block (oldMax = -inf)
                st[rows + r] = st[rows + r] * corr + sum;
                st[r] = max;
                accumulate(p.v, vBase + b0 * p.kvStride, p.kvStride, n, hd, sc, corr, acc, r * hd);
            }
        }

        for (int r = 0; r < rows; r++) {
            if (partials == null) {
                float sum = st[rows + r];
                float inv = sum > 0f ? 1f / sum : 0f;
                int ob = p.outBase(g, r);
                for (int d = 0; d < hd; d++) p.out[ob + d] = acc[r * hd + d] * inv;
            } else {
                int pb = partialBase + r * (hd + 2);
                partials[pb] = st[r];
                partials[pb + 1] = st[rows + r];
                System.arraycopy(acc, r * hd, partials, pb + 2, hd);
            }
        }
    }

    /** {@code sc[j] = scale · q·k[j]} for {@code n} keys starting at {@code kb}. */
    private static void scores(float[] q, int qb, float[] k, int kb, int kvStride, int n, int hd, float scale,
                               float[] sc) {
        int bound = S.loopBound(hd);
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int b0 = kb + j * kvStride, b1 = b0 + kvStride, b2 = b1 + kvStride, b3 = b2 + kvStride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            int d = 0;
            for (; d < bound; d += L) {
                FloatVector x = FloatVector.fromArray(S, q, qb + d);
                a0 = x.fma(FloatVector.fromArray(S, k, b0 + d), a0);
                a1 = x.fma(FloatVector.fromArray(S, k, b1 + d), a1);
                a2 = x.fma(FloatVector.fromArray(S, k, b2 + d), a2);
                a3 = x.fma(FloatVector.fromArray(S, k, b3 + d), a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; d < hd; d++) {
                float x = q[qb + d];
                s0 += x * k[b0 + d];
                s1 += x * k[b1 + d];
                s2 += x * k[b2 + d];
                s3 += x * k[b3 + d];
            }
            sc[j] = s0 * scale;
            sc[j + 1] = s1 * scale;
            sc[j + 2] = s2 * scale;
            sc[j + 3] = s3 * scale;
        }
        for (; j < n; j++) {
            int b0 = kb + j * kvStride;
            FloatVector a0 = FloatVector.zero(S);
            int d = 0;
            for (; d < bound; d += L) {
                a0 = FloatVector.fromArray(S, q, qb + d).fma(FloatVector.fromArray(S, k, b0 + d), a0);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD);
            for (; d < hd; d++) s0 += q[qb + d] * k[b0 + d];
            sc[j] = s0 * scale;
        }
    }

    /** {@code acc[d] = acc[d]·corr + Σ_j p[j]·v[j][d]} for {@code n} value rows starting at {@code vb}. */
    private static void accumulate(float[] v, int vb, int kvStride, int n, int hd, float[] pr, float corr,
                                   float[] acc, int ab) {
        int bound = S.loopBound(hd);
        int d = 0;
        for (; d + 2 * L <= bound; d += 2 * L) {
            FloatVector c0 = FloatVector.fromArray(S, acc, ab + d).mul(corr);
            FloatVector c1 = FloatVector.fromArray(S, acc, ab + d + L).mul(corr);
            int b = vb + d;
            for (int j = 0; j < n; j++, b += kvStride) {
                FloatVector w = FloatVector.broadcast(S, pr[j]);
                c0 = FloatVector.fromArray(S, v, b).fma(w, c0);
                c1 = FloatVector.fromArray(S, v, b + L).fma(w, c1);
            }
            c0.intoArray(acc, ab + d);
            c1.intoArray(acc, ab + d + L);
        }
        for (; d < bound; d += L) {
            FloatVector c0 = FloatVector.fromArray(S, acc, ab + d).mul(corr);
            int b = vb + d;
            for (int j = 0; j < n; j++, b += kvStride) {
                c0 = FloatVector.fromArray(S, v, b).fma(FloatVector.broadcast(S, pr[j]), c0);
            }
            c0.intoArray(acc, ab + d);
        }
        for (; d < hd; d++) {
            float c = acc[ab + d] * corr;
            int b = vb + d;
            for (int j = 0; j < n; j++, b += kvStride) c += pr[j] * v[b];
            acc[ab + d] = c;
        }
    }

    /** Combines the splits of every row: weights {@code exp(max_s - max)}, then divides by the total sum. */
    private static void merge(AttentionProblem p, int rows, int splits, float[] partials) {
        int hd = p.headDim, stride = hd + 2;
        for (int g = 0; g < p.kvHeads; g++) {
            for (int r = 0; r < rows; r++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < splits; s++) {
                    max = Math.max(max, partials[((g * splits + s) * rows + r) * stride]);
                }
                int ob = p.outBase(g, r);
                java.util.Arrays.fill(p.out, ob, ob + hd, 0f);
                if (max == Float.NEGATIVE_INFINITY) continue;
                float sum = 0f;
                for (int s = 0; s < splits; s++) {
                    int pb = ((g * splits + s) * rows + r) * stride;
                    float w = (float) Math.exp(partials[pb] - max);
                    if (w == 0f) continue;
                    sum += w * partials[pb + 1];
                    VectorMath.axpy(w, partials, pb + 2, p.out, ob, hd);
                }
                VectorMath.scale(p.out, ob, hd, 1f / sum);
            }
        }
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
