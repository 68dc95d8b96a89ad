package dev.casa.core.kernels;

import java.util.concurrent.atomic.AtomicInteger;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention for many queries (prefill, vision). The query rows of one kv head (every query × every
 * head of the group, query-major) are cut into tiles of {@link #ROWS} rows. A tile's queries are
 * transposed once ({@code qt[d][row]}), so both products vectorize across rows with the key or value
 * element broadcast: {@code s[j][row] += k[j][d]·qt[d][row]} and {@code acc[d][row] += v[j][d]·p[j][row]}.
 * The running max, sum and rescaling of the online softmax are then plain vector operations over rows.
 * Tiles are handed out dynamically, most expensive (latest queries under a causal mask, longest
 * segments of a segment mask) first. A tile reads only the keys its rows see: under a segment mask
 * it never crosses a segment boundary, so packed windows cost what they would one by one.
 */
final class TiledAttention {
    private TiledAttention() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows per tile: two vectors. */
    static final int ROWS = 2 * L;
    /** Keys per block of the online softmax. */
    static final int KEY_BLOCK = 64;

    // rowStats layout: [max | sum | correction | end of visible keys | first visible key], ROWS floats each
    private static final int MAX = 0, SUM = ROWS, CORR = 2 * ROWS, VISIBLE = 3 * ROWS, FROM = 4 * ROWS;

    static void run(ThreadPool pool, AttentionProblem p) {
        int[] tiles = tiles(p);
        int count = tiles.length / 2;
        int units = count * p.kvHeads;
        AtomicInteger next = new AtomicInteger();
        pool.runChunks(Math.min(units, pool.threads()), (chunk, chunks) -> {
            AttentionScratch scratch = AttentionScratch.get();
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                int t = u / p.kvHeads;
                tile(p, u % p.kvHeads, tiles[2 * t], tiles[2 * t + 1], scratch);
            }
        });
    }

    /**
     * The tiles of one kv head as (first row, rows) pairs, most expensive first. Prefix + causal masks:
     * the rows of all queries cut into tiles, latest queries (most keys) first. Segment masks: each
     * non-empty segment's rows cut separately, so a tile never spans two segments, longest segments first.
     */
    private static int[] tiles(AttentionProblem p) {
        int g = p.group;
        if (!p.mask.isSegmented()) {
            int rowsPerHead = p.numQueries * g;
            int count = (rowsPerHead + ROWS - 1) / ROWS;
            int[] tiles = new int[2 * count];
            for (int t = 0; t < count; t++) {
                int tile = count - 1 - t;
                tiles[2 * t] = tile * ROWS;
                tiles[2 * t + 1] = Math.min(ROWS, rowsPerHead - tile * ROWS);
            }
            return tiles;
        }
        AttentionMask m = p.mask;
        int segs = m.segmentCount(), count = 0;
        Integer[] order = new Integer[segs];
        for (int s = 0; s < segs; s++) {
            order[s] = s;
            count += ((m.boundary(s + 1) - m.boundary(s)) * g + ROWS - 1) / ROWS;
        }
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(
                m.boundary(b + 1) - m.boundary(b), m.boundary(a + 1) - m.boundary(a)));
        int[] tiles = new int[2 * count];
        int t = 0;
        for (int s : order) {
            int r0 = m.boundary(s) * g, r1 = m.boundary(s + 1) * g;
            for (int r = r0; r < r1; r += ROWS, t++) {
                tiles[2 * t] = r;
                tiles[2 * t + 1] = Math.min(ROWS, r1 - r);
            }
        }
        return tiles;
    }

    /** Rows {@code [r0, r0+rows)} of kv head {@code g}. */
    private static void tile(AttentionProblem p, int g, int r0, int rows, AttentionScratch scratch) {
        int hd = p.headDim;
        float[] qt = scratch.queries(hd * ROWS);
        float[] acc = scratch.accumulators(hd * ROWS);
        float[] sc = scratch.scores(KEY_BLOCK * ROWS);
        float[] st = scratch.rowStats(5 * ROWS);

        // every row sees keys [from, to); the tile reads [fromMin, toMax) and masks outside [fromMax, toMin)
        int fromMin = Integer.MAX_VALUE, fromMax = 0, toMin = Integer.MAX_VALUE, toMax = 0;
        for (int r = 0; r < ROWS; r++) {
            int from = 0, to = 0;
            if (r < rows) {
                int row = r0 + r, i = row / p.group;
                from = p.keyStart(i);
                to = Math.max(from, p.keyEnd(i));
                fromMin = Math.min(fromMin, from);
                fromMax = Math.max(fromMax, from);
                toMin = Math.min(toMin, to);
                toMax = Math.max(toMax, to);
                int qb = p.qBase(g, row);
                for (int d = 0; d < hd; d++) qt[d * ROWS + r] = p.q[qb + d] * p.scale;
            } else {
                for (int d = 0; d < hd; d++) qt[d * ROWS + r] = 0f;
            }
            st[FROM + r] = from;
            st[VISIBLE + r] = to;
            st[MAX + r] = Float.NEGATIVE_INFINITY;
            st[SUM + r] = 0f;
        }
        java.util.Arrays.fill(acc, 0, hd * ROWS, 0f);

        int kBase = p.kOffset + g * hd, vBase = p.vOffset + g * hd;
        for (int j0 = fromMin; j0 < toMax; j0 += KEY_BLOCK) {
            int bk = Math.min(KEY_BLOCK, toMax - j0);
            scores(p.k, kBase + j0 * p.kvStride, p.kvStride, bk, hd, qt, sc);
            boolean masked = j0 < fromMax || j0 + bk > toMin;
            boolean maskStart = j0 < fromMax;
            for (int rv = 0; rv < ROWS; rv += L) softmaxStep(sc, bk, st, rv, masked ? j0 : -1, maskStart);
            accumulate(p.v, vBase + j0 * p.kvStride, p.kvStride, bk, hd, sc, acc,
                    FloatVector.fromArray(S, st, CORR), FloatVector.fromArray(S, st, CORR + L));
        }

        for (int r = 0; r < rows; r++) {
            float sum = st[SUM + r];
            float inv = sum > 0f ? 1f / sum : 0f;
            int ob = p.outBase(g, r0 + r);
            for (int d = 0; d < hd; d++) p.out[ob + d] = acc[d * ROWS + r] * inv;
        }
    }

    /** {@code sc[j][row] = Σ_d k[j][d]·qt[d][row]} for {@code bk} keys starting at {@code kb}. */
    private static void scores(float[] k, int kb, int kvStride, int bk, int hd, float[] qt, float[] sc) {
        int j = 0;
        for (; j + 4 <= bk; j += 4) {
            int b0 = kb + j * kvStride, b1 = b0 + kvStride, b2 = b1 + kvStride, b3 = b2 + kvStride;
            FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            for (int d = 0; d < hd; d++) {
                FloatVector q0 = FloatVector.fromArray(S, qt, d * ROWS);
                FloatVector q1 = FloatVector.fromArray(S, qt, d * ROWS + L);
                FloatVector k0 = FloatVector.broadcast(S, k[b0 + d]);
                a00 = q0.fma(k0, a00);
                a01 = q1.fma(k0, a01);
                FloatVector k1 = FloatVector.broadcast(S, k[b1 + d]);
                a10 = q0.fma(k1, a10);
                a11 = q1.fma(k1, a11);
                FloatVector k2 = FloatVector.broadcast(S, k[b2 + d]);
                a20 = q0.fma(k2, a20);
                a21 = q1.fma(k2, a21);
                FloatVector k3 = FloatVector.broadcast(S, k[b3 + d]);
                a30 = q0.fma(k3, a30);
                a31 = q1.fma(k3, a31);
            }
            int o = j * ROWS;
            a00.intoArray(sc, o);
            a01.intoArray(sc, o + L);
            a10.intoArray(sc, o + ROWS);
            a11.intoArray(sc, o + ROWS + L);
            a20.intoArray(sc, o + 2 * ROWS);
            a21.intoArray(sc, o + 2 * ROWS + L);
            a30.intoArray(sc, o + 3 * ROWS);
            a31.intoArray(sc, o + 3 * ROWS + L);
        }
        for (; j < bk; j++) {
            int b0 = kb + j * kvStride;
            FloatVector a00 = FloatVector.zero(S), a01 = a00;
            for (int d = 0; d < hd; d++) {
                FloatVector k0 = FloatVector.broadcast(S, k[b0 + d]);
                a00 = FloatVector.fromArray(S, qt, d * ROWS).fma(k0, a00);
                a01 = FloatVector.fromArray(S, qt, d * ROWS + L).fma(k0, a01);
            }
            a00.intoArray(sc, j * ROWS);
            a01.intoArray(sc, j * ROWS + L);
        }
    }

    /**
     * Online-softmax update of the rows {@code [rv, rv+L)} for one block: masks keys a row does not
     * see (when {@code j0 >= 0}: keys at or after its end, and when {@code maskStart} also keys before
     * its first key), turns scores into probabilities against the new running max, and
     * leaves the factor that rescales the old sum and accumulator in {@code st[CORR]}.
     */
    private static void softmaxStep(float[] sc, int bk, float[] st, int rv, int j0, boolean maskStart) {
        FloatVector negInf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector visible = FloatVector.fromArray(S, st, VISIBLE + rv);
        FloatVector from = FloatVector.fromArray(S, st, FROM + rv);
        FloatVector oldMax = FloatVector.fromArray(S, st, MAX + rv);
        FloatVector max = oldMax;
        for (int j = 0; j < bk; j++) {
            int o = j * ROWS + rv;
            FloatVector s = FloatVector.fromArray(S, sc, o);
            if (j0 >= 0) {
                VectorMask<Float> hidden = visible.compare(VectorOperators.LE, (float) (j0 + j));
                if (maskStart) hidden = hidden.or(from.compare(VectorOperators.GT, (float) (j0 + j)));
                s = s.blend(negInf, hidden);
                s.intoArray(sc, o);
            }
            max = max.max(s);
        }
        // Rows that have seen no key yet keep max = -inf; subtract 0 instead so exp gives 0, not NaN.
        FloatVector shift = max.blend(0f, max.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY));
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < bk; j++) {
            int o = j * ROWS + rv;
            FloatVector e = FloatVector.fromArray(S, sc, o).sub(shift).lanewise(VectorOperators.EXP);
            e.intoArray(sc, o);
            sum = sum.add(e);
        }
        FloatVector corr = oldMax.sub(shift).lanewise(VectorOperators.EXP);
        FloatVector.fromArray(S, st, SUM + rv).fma(corr, sum).intoArray(st, SUM + rv);
        corr.intoArray(st, CORR + rv);
        max.intoArray(st, MAX + rv);
    }

    /** {@code acc[d][row] = acc[d][row]·corr[row] + Σ_j v[j][d]·p[j][row]} for {@code bk} values at {@code vb}. */
    private static void accumulate(float[] v, int vb, int kvStride, int bk, int hd, float[] pr, float[] acc,
                                   FloatVector corr0, FloatVector corr1) {
        int d = 0;
        for (; d + 4 <= hd; d += 4) {
            int o = d * ROWS;
            FloatVector c00 = FloatVector.fromArray(S, acc, o).mul(corr0);
            FloatVector c01 = FloatVector.fromArray(S, acc, o + L).mul(corr1);
            FloatVector c10 = FloatVector.fromArray(S, acc, o + ROWS).mul(corr0);
            FloatVector c11 = FloatVector.fromArray(S, acc, o + ROWS + L).mul(corr1);
            FloatVector c20 = FloatVector.fromArray(S, acc, o + 2 * ROWS).mul(corr0);
            FloatVector c21 = FloatVector.fromArray(S, acc, o + 2 * ROWS + L).mul(corr1);
            FloatVector c30 = FloatVector.fromArray(S, acc, o + 3 * ROWS).mul(corr0);
            FloatVector c31 = FloatVector.fromArray(S, acc, o + 3 * ROWS + L).mul(corr1);
            int b = vb + d;
            for (int j = 0; j < bk; j++, b += kvStride) {
                FloatVector p0 = FloatVector.fromArray(S, pr, j * ROWS);
                FloatVector p1 = FloatVector.fromArray(S, pr, j * ROWS + L);
                FloatVector x0 = FloatVector.broadcast(S, v[b]);
                c00 = p0.fma(x0, c00);
                c01 = p1.fma(x0, c01);
                FloatVector x1 = FloatVector.broadcast(S, v[b + 1]);
                c10 = p0.fma(x1, c10);
                c11 = p1.fma(x1, c11);
                FloatVector x2 = FloatVector.broadcast(S, v[b + 2]);
                c20 = p0.fma(x2, c20);
                c21 = p1.fma(x2, c21);
                FloatVector x3 = FloatVector.broadcast(S, v[b + 3]);
                c30 = p0.fma(x3, c30);
                c31 = p1.fma(x3, c31);
            }
            c00.intoArray(acc, o);
            c01.intoArray(acc, o + L);
            c10.intoArray(acc, o + ROWS);
            c11.intoArray(acc, o + ROWS + L);
            c20.intoArray(acc, o + 2 * ROWS);
            c21.intoArray(acc, o + 2 * ROWS + L);
            c30.intoArray(acc, o + 3 * ROWS);
            c31.intoArray(acc, o + 3 * ROWS + L);
        }
        for (; d < hd; d++) {
            int o = d * ROWS;
            FloatVector c00 = FloatVector.fromArray(S, acc, o).mul(corr0);
            FloatVector c01 = FloatVector.fromArray(S, acc, o + L).mul(corr1);
            int b = vb + d;
            for (int j = 0; j < bk; j++, b += kvStride) {
                FloatVector x0 = FloatVector.broadcast(S, v[b]);
                c00 = FloatVector.fromArray(S, pr, j * ROWS).fma(x0, c00);
                c01 = FloatVector.fromArray(S, pr, j * ROWS + L).fma(x0, c01);
            }
            c00.intoArray(acc, o);
            c01.intoArray(acc, o + L);
        }
    }
}
