package dev.casa.core.kernels;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for one or a few queries over many keys (decode). Memory-bound: the kernel walks the
 * keys in storage order, and for each key row reads the slices of all its kv heads one after the
 * other, so K and V stream through memory sequentially (a head-by-head walk would jump a whole row,
 * e.g. 8 KB, per key and miss the TLB and the prefetchers). Scores are dot products along the head
 * dimension; probabilities are folded into per-row accumulators with a vector axpy.
 *
 * <p>Work units are (range of kv heads) × (range of keys). With long caches the keys are split
 * across threads: each split keeps its own running max, sum and accumulator per row and the calling
 * thread merges them with log-sum-exp weights. Short caches are split over kv heads instead.
 */
final class DecodeAttention {
    private DecodeAttention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int KEY_BLOCK = 64;
    /** Smallest number of keys worth giving a split of its own. */
    private static final int MIN_SPLIT_KEYS = 256;

    static void run(ThreadPool pool, AttentionProblem p, int forcedSplits) {
        int rowsPerGroup = p.numQueries * p.group;
        int nMin = Integer.MAX_VALUE, nMax = 0;
        for (int i = 0; i < p.numQueries; i++) {
            int from = p.keyStart(i), to = p.keyEnd(i);
            if (to <= from) continue;
            nMin = Math.min(nMin, from);
            nMax = Math.max(nMax, to);
        }
        if (nMin > nMax) nMin = nMax;   // no query sees anything
        int span = nMax - nMin;
        // a little finer than the threads, for balance on a busy machine; one unit when single-threaded
        int units = pool.threads() == 1 ? 1 : 2 * pool.threads();
        int splits = forcedSplits > 0 ? forcedSplits : Math.max(1, Math.min(units, span / MIN_SPLIT_KEYS));
        int headChunks = Math.min(p.kvHeads, ceilDiv(units, splits));
        int splitKeys = Math.max(1, ceilDiv(span, splits));
        int hd = p.headDim, stride = hd + 2;
        // partials per (split, kv head, row in group): [max, sum, acc[hd]]
        float[] partials = splits > 1
                ? AttentionScratch.get().partials(splits * p.kvHeads * rowsPerGroup * stride) : null;
        int firstKey = nMin, maxKeys = nMax, total = headChunks * splits;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(total, pool.threads()), (chunk, chunks) -> {
            AttentionScratch scratch = AttentionScratch.get();
            for (int u = next.getAndIncrement(); u < total; u = next.getAndIncrement()) {
                int hc = u / splits, s = u % splits;
                int g0 = (int) ((long) p.kvHeads * hc / headChunks), g1 = (int) ((long) p.kvHeads * (hc + 1) / headChunks);
                int j0 = Math.min(maxKeys, firstKey + s * splitKeys), j1 = Math.min(maxKeys, j0 + splitKeys);
                unit(p, g0, g1, rowsPerGroup, j0, j1, scratch, partials,
                        partials == null ? 0 : (s * p.kvHeads + g0) * rowsPerGroup * stride);
            }
        });
        if (splits > 1) merge(p, rowsPerGroup, splits, partials);
    }

    /**
     * Keys {@code [j0, j1)} for the rows of kv heads {@code [g0, g1)}; row r is (kv head g0 + r / rpg,
     * row r % rpg of that group). Writes the normalised output, or the unnormalised state to
     * {@code partials} from {@code partialBase}.
     */
    private static void unit(AttentionProblem p, int g0, int g1, int rpg, int j0, int j1, AttentionScratch scratch,
                             float[] partials, int partialBase) {
        int hd = p.headDim, rows = (g1 - g0) * rpg;
        float[] acc = scratch.accumulators(rows * hd);
        float[] sc = scratch.scores(rows * KEY_BLOCK);
        float[] st = scratch.rowStats(4 * rows);   // [max | sum | end of visible keys | first visible key]
        int end = 2 * rows, start = 3 * rows;
        for (int r = 0; r < rows; r++) {
            int i = (r % rpg) / p.group;
            st[r] = Float.NEGATIVE_INFINITY;
            st[rows + r] = 0f;
            st[start + r] = p.keyStart(i);
            st[end + r] = p.keyEnd(i);
        }
        Arrays.fill(acc, 0, rows * hd, 0f);

        for (int b0 = j0; b0 < j1; b0 += KEY_BLOCK) {
            int bk = Math.min(KEY_BLOCK, j1 - b0);
            // scores, key by key in storage order
            for (int jj = 0; jj < bk; jj++) {
                int j = b0 + jj;
                for (int g = g0; g < g1; g++) {
                    int kb = p.kOffset + j * p.kvStride + g * hd;
                    for (int rr = 0; rr < rpg; rr++) {
                        int r = (g - g0) * rpg + rr;
                        sc[r * KEY_BLOCK + jj] = j < (int) st[end + r] && j >= (int) st[start + r]
                                ? dot(p.q, p.qBase(g, rr), p.k, kb, hd) * p.scale : Float.NEGATIVE_INFINITY;
                    }
                }
            }
            // online softmax per row: sc becomes the probabilities, acc is rescaled
            for (int r = 0; r < rows; r++) {
                int lo = Math.max(0, (int) st[start + r] - b0), hi = Math.min(bk, (int) st[end + r] - b0);
                if (hi <= lo) continue;   // the row sees no key of this block: p = 0
                int o = r * KEY_BLOCK + lo, n = hi - lo;
                float oldMax = st[r];
                float max = Math.max(oldMax, VectorMath.max(sc, o, n));
                float sum = VectorMath.expShifted(sc, o, n, max);
                float corr = (float) Math.exp(oldMax - max);   // 0 on the first block (oldMax = -inf)
                st[rows + r] = st[rows + r] * corr + sum;
                st[r] = max;
                if (corr != 1f) VectorMath.scale(acc, r * hd, hd, corr);
            }
            // values, key by key in storage order
            for (int jj = 0; jj < bk; jj++) {
                int j = b0 + jj;
                for (int g = g0; g < g1; g++) {
                    int vb = p.vOffset + j * p.kvStride + g * hd;
                    for (int rr = 0; rr < rpg; rr++) {
                        int r = (g - g0) * rpg + rr;
                        if (j < (int) st[end + r] && j >= (int) st[start + r]) VectorMath.axpy(sc[r * KEY_BLOCK + jj], p.v, vb, acc, r * hd, hd);
                    }
                }
            }
        }

        for (int r = 0; r < rows; r++) {
            int g = g0 + r / rpg, rr = r % rpg;
            if (partials == null) {
                float sum = st[rows + r];
                float inv = sum > 0f ? 1f / sum : 0f;
                int ob = p.outBase(g, rr);
                for (int d = 0; d < hd; d++) p.out[ob + d] = acc[r * hd + d] * inv;
            } else {
                int pb = partialBase + r * (hd + 2);
                partials[pb] = st[r];
                partials[pb + 1] = st[rows + r];
                System.arraycopy(acc, r * hd, partials, pb + 2, hd);
            }
        }
    }

    /** {@code q[qb..qb+n) · k[kb..kb+n)}, two accumulators to halve the FMA latency chain. */
    private static float dot(float[] q, int qb, float[] k, int kb, int n) {
        int d = 0;
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        for (int bound = n - 2 * L; d <= bound; d += 2 * L) {
            a0 = FloatVector.fromArray(S, q, qb + d).fma(FloatVector.fromArray(S, k, kb + d), a0);
            a1 = FloatVector.fromArray(S, q, qb + d + L).fma(FloatVector.fromArray(S, k, kb + d + L), a1);
        }
        if (d + L <= n) {
            a0 = FloatVector.fromArray(S, q, qb + d).fma(FloatVector.fromArray(S, k, kb + d), a0);
            d += L;
        }
        float s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; d < n; d++) s += q[qb + d] * k[kb + d];
        return s;
    }

    /** Combines the splits of every row: weights {@code exp(max_s - max)}, then divides by the total sum. */
    private static void merge(AttentionProblem p, int rpg, int splits, float[] partials) {
        int hd = p.headDim, stride = hd + 2, rowsAll = p.kvHeads * rpg;
        for (int g = 0; g < p.kvHeads; g++) {
            for (int rr = 0; rr < rpg; rr++) {
                int row = g * rpg + rr;
                float max = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < splits; s++) max = Math.max(max, partials[(s * rowsAll + row) * stride]);
                int ob = p.outBase(g, rr);
                Arrays.fill(p.out, ob, ob + hd, 0f);
                if (max == Float.NEGATIVE_INFINITY) continue;
                float sum = 0f;
                for (int s = 0; s < splits; s++) {
                    int pb = (s * rowsAll + row) * stride;
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
