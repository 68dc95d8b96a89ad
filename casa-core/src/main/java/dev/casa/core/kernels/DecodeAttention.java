package dev.casa.core.kernels;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for one or a few queries over many keys (decode). K and V stream from DRAM, so the access
 * pattern sets the speed. Keys go in blocks; each block's K and V rows are first read in storage order
 * ({@link #touch}: the hardware prefetchers follow that at full rate, a head-by-head walk through the
 * token-major cache ran at a third of it), then worked on head by head from L2. Within a kv head, the
 * query rows that see the same keys (a GQA group) go through up to four at a time, so each K and V slice
 * is loaded once for all of them; scores are dot products along the head dimension, and the values
 * accumulate into registers over the block's keys (online softmax in between).
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
    /** Floats of K in one block at most, and as many of V (256 KB together): a touched block is still in L2 when it is worked on. */
    private static final int BLOCK_FLOATS = 32 * 1024;
    /** Smallest number of keys worth giving a split of its own. */
    private static final int MIN_SPLIT_KEYS = 128;

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

        // each block's K and V rows are first read in storage order (see touch), then worked on head by head
        int w = (g1 - g0) * hd, kb = p.kOffset + g0 * hd, vb = p.vOffset + g0 * hd, ks = p.kvStride;
        float touched = 0f;
        int blockKeys = Math.clamp(BLOCK_FLOATS / w, 8, KEY_BLOCK);
        for (int b0 = j0; b0 < j1; b0 += blockKeys) {
            int b1 = Math.min(j1, b0 + blockKeys);
            touched += touch(p.k, kb + b0 * ks, ks, b1 - b0, w) + touch(p.v, vb + b0 * ks, ks, b1 - b0, w);
            // the rows of one kv head that see the same keys go through together (up to four), sharing the K and V loads
            for (int r = 0; r < rows; ) {
                int lo = Math.max(b0, (int) st[start + r]), hi = Math.min(b1, (int) st[end + r]);
                int rEnd = r + 1, groupEnd = (r / rpg + 1) * rpg;
                while (rEnd < groupEnd && rEnd - r < 4 && st[start + rEnd] == st[start + r] && st[end + rEnd] == st[end + r]) rEnd++;
                if (hi > lo) {   // else the rows see no key of this block: p = 0
                    rowsOfHead(p, g0 + r / rpg, r - r / rpg * rpg, r, rEnd - r, lo, hi, b0, rows, acc, sc, st);
                }
                r = rEnd;
            }
        }

        scratch.touched = touched;   // keeps the touching loads alive
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

    /**
     * Keys {@code [lo, hi)} of block {@code b0} for {@code count} (1..4) consecutive rows from {@code r}, all of kv
     * head g (row {@code rr} of its group): scores, online softmax (sc becomes the probabilities, acc is rescaled),
     * then the values.
     */
    private static void rowsOfHead(AttentionProblem p, int g, int rr, int r, int count, int lo, int hi, int b0, int rows,
                                   float[] acc, float[] sc, float[] st) {
        int hd = p.headDim, n = hi - lo, o = r * KEY_BLOCK + lo - b0;
        int kb = p.kOffset + lo * p.kvStride + g * hd, vb = p.vOffset + lo * p.kvStride + g * hd;
        if (count == 1) {
            scores(p.q, p.qBase(g, rr), p.k, kb, p.kvStride, n, hd, p.scale, sc, o);
        } else {
            // a missing fourth (or third) row repeats the last one: same inputs, same outputs, written twice
            int q0 = p.qBase(g, rr), q1 = p.qBase(g, rr + 1), q2 = p.qBase(g, rr + Math.min(2, count - 1)),
                    q3 = p.qBase(g, rr + Math.min(3, count - 1));
            scores4(p.q, q0, q1, q2, q3, p.k, kb, p.kvStride, n, hd, p.scale, sc, o, o + KEY_BLOCK,
                    o + Math.min(2, count - 1) * KEY_BLOCK, o + Math.min(3, count - 1) * KEY_BLOCK);
        }
        for (int i = r; i < r + count; i++) {
            int oi = o + (i - r) * KEY_BLOCK;
            float oldMax = st[i];
            float max = Math.max(oldMax, VectorMath.max(sc, oi, n));
            float sum = VectorMath.expShifted(sc, oi, n, max);
            float corr = (float) Math.exp(oldMax - max);   // 0 on the first block (oldMax = -inf)
            st[rows + i] = st[rows + i] * corr + sum;
            st[i] = max;
            if (corr != 1f) VectorMath.scale(acc, i * hd, hd, corr);
        }
        if (count == 1) {
            values(sc, o, n, p.v, vb, p.kvStride, hd, acc, r * hd);
        } else {
            values4(sc, o, count, n, p.v, vb, p.kvStride, hd, acc, r * hd);
        }
    }

    /** {@link #scores} for four query rows at once: each key slice is loaded once for the four dot products. */
    private static void scores4(float[] q, int q0, int q1, int q2, int q3, float[] k, int kb, int stride, int n, int hd,
                                float scale, float[] out, int o0, int o1, int o2, int o3) {
        if (hd % L != 0) {
            scores(q, q0, k, kb, stride, n, hd, scale, out, o0);
            scores(q, q1, k, kb, stride, n, hd, scale, out, o1);
            scores(q, q2, k, kb, stride, n, hd, scale, out, o2);
            scores(q, q3, k, kb, stride, n, hd, scale, out, o3);
            return;
        }
        for (int j = 0; j < n; j++) {
            int b = kb + j * stride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d += L) {
                FloatVector kv = FloatVector.fromArray(S, k, b + d);
                a0 = FloatVector.fromArray(S, q, q0 + d).fma(kv, a0);
                a1 = FloatVector.fromArray(S, q, q1 + d).fma(kv, a1);
                a2 = FloatVector.fromArray(S, q, q2 + d).fma(kv, a2);
                a3 = FloatVector.fromArray(S, q, q3 + d).fma(kv, a3);
            }
            out[o0 + j] = a0.reduceLanes(VectorOperators.ADD) * scale;
            out[o1 + j] = a1.reduceLanes(VectorOperators.ADD) * scale;
            out[o2 + j] = a2.reduceLanes(VectorOperators.ADD) * scale;
            out[o3 + j] = a3.reduceLanes(VectorOperators.ADD) * scale;
        }
    }

    /**
     * {@link #values} for {@code count} (2..4) consecutive rows (probabilities {@code KEY_BLOCK} apart in p,
     * accumulators hd apart in acc): each value slice is loaded once for all rows. Two vectors of the head
     * dimension at a time, so the 4 × 2 accumulators stay in registers on AVX2 too.
     */
    private static void values4(float[] p, int o, int count, int n, float[] v, int vb, int stride, int hd, float[] acc, int ab) {
        // a missing row repeats the last one: it loads, computes and stores the same values as that row
        int o0 = o, o1 = o + KEY_BLOCK, o2 = o + Math.min(2, count - 1) * KEY_BLOCK, o3 = o + Math.min(3, count - 1) * KEY_BLOCK;
        int c0 = ab, c1 = ab + hd, c2 = ab + Math.min(2, count - 1) * hd, c3 = ab + Math.min(3, count - 1) * hd;
        int d = 0;
        for (; d + 2 * L <= hd; d += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, acc, c0 + d), y0 = FloatVector.fromArray(S, acc, c0 + d + L);
            FloatVector x1 = FloatVector.fromArray(S, acc, c1 + d), y1 = FloatVector.fromArray(S, acc, c1 + d + L);
            FloatVector x2 = FloatVector.fromArray(S, acc, c2 + d), y2 = FloatVector.fromArray(S, acc, c2 + d + L);
            FloatVector x3 = FloatVector.fromArray(S, acc, c3 + d), y3 = FloatVector.fromArray(S, acc, c3 + d + L);
            for (int j = 0; j < n; j++) {
                int b = vb + j * stride + d;
                FloatVector v0 = FloatVector.fromArray(S, v, b), v1 = FloatVector.fromArray(S, v, b + L);
                FloatVector w = FloatVector.broadcast(S, p[o0 + j]);
                x0 = v0.fma(w, x0);
                y0 = v1.fma(w, y0);
                w = FloatVector.broadcast(S, p[o1 + j]);
                x1 = v0.fma(w, x1);
                y1 = v1.fma(w, y1);
                w = FloatVector.broadcast(S, p[o2 + j]);
                x2 = v0.fma(w, x2);
                y2 = v1.fma(w, y2);
                w = FloatVector.broadcast(S, p[o3 + j]);
                x3 = v0.fma(w, x3);
                y3 = v1.fma(w, y3);
            }
            x0.intoArray(acc, c0 + d);
            y0.intoArray(acc, c0 + d + L);
            x1.intoArray(acc, c1 + d);
            y1.intoArray(acc, c1 + d + L);
            x2.intoArray(acc, c2 + d);
            y2.intoArray(acc, c2 + d + L);
            x3.intoArray(acc, c3 + d);
            y3.intoArray(acc, c3 + d + L);
        }
        if (d < hd) {   // the rest of the head dimension, row by row (real rows only: a repeat would add twice)
            for (int i = 0; i < count; i++) values(p, o + i * KEY_BLOCK, n, v, vb + d, stride, hd - d, acc, ab + i * hd + d);
        }
    }

    /**
     * Reads one float per cache line of n rows of w floats, in storage order. The arithmetic walks a block head
     * by head (a strided pattern the hardware prefetchers follow poorly, about 8 GB/s from DRAM on one core);
     * touching the block's rows first, in order, streams them into L2 at close to the full read rate.
     */
    private static float touch(float[] x, int base, int stride, int n, int w) {
        float t = 0f;
        for (int j = 0; j < n; j++) {
            int b = base + j * stride;
            for (int d = 0; d < w; d += 16) t += x[b + d];
        }
        return t;
    }

    /**
     * {@code out[o + j] = scale · q[qb..qb+hd) · k[kb + j·stride ..)} for the n keys from {@code kb}. For head dims
     * of four or eight vectors the query is held in registers while the keys stream past (loaded in the loop, it
     * would be reloaded for every key: the JIT cannot tell that q and out are different arrays).
     */
    private static void scores(float[] q, int qb, float[] k, int kb, int stride, int n, int hd, float scale,
                               float[] out, int o) {
        if (hd == 4 * L) {
            FloatVector q0 = FloatVector.fromArray(S, q, qb), q1 = FloatVector.fromArray(S, q, qb + L);
            FloatVector q2 = FloatVector.fromArray(S, q, qb + 2 * L), q3 = FloatVector.fromArray(S, q, qb + 3 * L);
            for (int j = 0; j < n; j++) {
                int b = kb + j * stride;
                FloatVector a = q0.mul(FloatVector.fromArray(S, k, b));
                FloatVector c = q1.mul(FloatVector.fromArray(S, k, b + L));
                a = q2.fma(FloatVector.fromArray(S, k, b + 2 * L), a);
                c = q3.fma(FloatVector.fromArray(S, k, b + 3 * L), c);
                out[o + j] = a.add(c).reduceLanes(VectorOperators.ADD) * scale;
            }
        } else if (hd == 8 * L) {
            FloatVector q0 = FloatVector.fromArray(S, q, qb), q1 = FloatVector.fromArray(S, q, qb + L);
            FloatVector q2 = FloatVector.fromArray(S, q, qb + 2 * L), q3 = FloatVector.fromArray(S, q, qb + 3 * L);
            FloatVector q4 = FloatVector.fromArray(S, q, qb + 4 * L), q5 = FloatVector.fromArray(S, q, qb + 5 * L);
            FloatVector q6 = FloatVector.fromArray(S, q, qb + 6 * L), q7 = FloatVector.fromArray(S, q, qb + 7 * L);
            for (int j = 0; j < n; j++) {
                int b = kb + j * stride;
                FloatVector a = q0.mul(FloatVector.fromArray(S, k, b));
                FloatVector c = q1.mul(FloatVector.fromArray(S, k, b + L));
                a = q2.fma(FloatVector.fromArray(S, k, b + 2 * L), a);
                c = q3.fma(FloatVector.fromArray(S, k, b + 3 * L), c);
                a = q4.fma(FloatVector.fromArray(S, k, b + 4 * L), a);
                c = q5.fma(FloatVector.fromArray(S, k, b + 5 * L), c);
                a = q6.fma(FloatVector.fromArray(S, k, b + 6 * L), a);
                c = q7.fma(FloatVector.fromArray(S, k, b + 7 * L), c);
                out[o + j] = a.add(c).reduceLanes(VectorOperators.ADD) * scale;
            }
        } else {
            for (int j = 0; j < n; j++) out[o + j] = dot(q, qb, k, kb + j * stride, hd) * scale;
        }
    }

    /**
     * {@code acc[ab..ab+hd) += Σ_j p[o + j] · v[vb + j·stride ..)} over n keys: the accumulators of a whole slice
     * of the head dimension (eight vectors, then four, then one) stay in registers while the keys stream past.
     */
    private static void values(float[] p, int o, int n, float[] v, int vb, int stride, int hd, float[] acc, int ab) {
        int d = 0;
        for (; d + 8 * L <= hd; d += 8 * L) {
            int c = ab + d;
            FloatVector a0 = FloatVector.fromArray(S, acc, c), a1 = FloatVector.fromArray(S, acc, c + L);
            FloatVector a2 = FloatVector.fromArray(S, acc, c + 2 * L), a3 = FloatVector.fromArray(S, acc, c + 3 * L);
            FloatVector a4 = FloatVector.fromArray(S, acc, c + 4 * L), a5 = FloatVector.fromArray(S, acc, c + 5 * L);
            FloatVector a6 = FloatVector.fromArray(S, acc, c + 6 * L), a7 = FloatVector.fromArray(S, acc, c + 7 * L);
            for (int j = 0; j < n; j++) {
                int b = vb + j * stride + d;
                FloatVector w = FloatVector.broadcast(S, p[o + j]);
                a0 = FloatVector.fromArray(S, v, b).fma(w, a0);
                a1 = FloatVector.fromArray(S, v, b + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, v, b + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, v, b + 3 * L).fma(w, a3);
                a4 = FloatVector.fromArray(S, v, b + 4 * L).fma(w, a4);
                a5 = FloatVector.fromArray(S, v, b + 5 * L).fma(w, a5);
                a6 = FloatVector.fromArray(S, v, b + 6 * L).fma(w, a6);
                a7 = FloatVector.fromArray(S, v, b + 7 * L).fma(w, a7);
            }
            a0.intoArray(acc, c);
            a1.intoArray(acc, c + L);
            a2.intoArray(acc, c + 2 * L);
            a3.intoArray(acc, c + 3 * L);
            a4.intoArray(acc, c + 4 * L);
            a5.intoArray(acc, c + 5 * L);
            a6.intoArray(acc, c + 6 * L);
            a7.intoArray(acc, c + 7 * L);
        }
        for (; d + 4 * L <= hd; d += 4 * L) {
            int c = ab + d;
            FloatVector a0 = FloatVector.fromArray(S, acc, c), a1 = FloatVector.fromArray(S, acc, c + L);
            FloatVector a2 = FloatVector.fromArray(S, acc, c + 2 * L), a3 = FloatVector.fromArray(S, acc, c + 3 * L);
            for (int j = 0; j < n; j++) {
                int b = vb + j * stride + d;
                FloatVector w = FloatVector.broadcast(S, p[o + j]);
                a0 = FloatVector.fromArray(S, v, b).fma(w, a0);
                a1 = FloatVector.fromArray(S, v, b + L).fma(w, a1);
                a2 = FloatVector.fromArray(S, v, b + 2 * L).fma(w, a2);
                a3 = FloatVector.fromArray(S, v, b + 3 * L).fma(w, a3);
            }
            a0.intoArray(acc, c);
            a1.intoArray(acc, c + L);
            a2.intoArray(acc, c + 2 * L);
            a3.intoArray(acc, c + 3 * L);
        }
        for (; d + L <= hd; d += L) {
            FloatVector a0 = FloatVector.fromArray(S, acc, ab + d);
            for (int j = 0; j < n; j++) a0 = FloatVector.fromArray(S, v, vb + j * stride + d).fma(FloatVector.broadcast(S, p[o + j]), a0);
            a0.intoArray(acc, ab + d);
        }
        for (; d < hd; d++) {
            float a = acc[ab + d];
            for (int j = 0; j < n; j++) a = Math.fma(p[o + j], v[vb + j * stride + d], a);
            acc[ab + d] = a;
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
