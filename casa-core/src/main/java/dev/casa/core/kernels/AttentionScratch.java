package dev.casa.core.kernels;

/** Per-thread working memory of the attention kernels: grown on demand, then reused by every call. */
final class AttentionScratch {
    private static final ThreadLocal<AttentionScratch> LOCAL = ThreadLocal.withInitial(AttentionScratch::new);

    static AttentionScratch get() { return LOCAL.get(); }

    private float[] queries = new float[0];
    private float[] accumulators = new float[0];
    private float[] scores = new float[0];
    private float[] rowStats = new float[0];
    private float[] partials = new float[0];
    /** Where the decode kernel leaves the sum of its prefetching loads, so the JIT cannot drop them. */
    float touched;

    /** Query rows of a tile (transposed, pre-scaled). */
    float[] queries(int n) { if (queries.length < n) queries = new float[n]; return queries; }

    /** Unnormalised output rows. */
    float[] accumulators(int n) { if (accumulators.length < n) accumulators = new float[n]; return accumulators; }

    /** Scores, then probabilities, of one block of keys. */
    float[] scores(int n) { if (scores.length < n) scores = new float[n]; return scores; }

    /** Running max, running sum, correction factor and visible key range per row. */
    float[] rowStats(int n) { if (rowStats.length < n) rowStats = new float[n]; return rowStats; }

    /** Partial results of key splits, merged by the calling thread. */
    float[] partials(int n) { if (partials.length < n) partials = new float[n]; return partials; }
}
