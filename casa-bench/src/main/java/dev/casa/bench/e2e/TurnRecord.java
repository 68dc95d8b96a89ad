package dev.casa.bench.e2e;

/**
 * One streaming turn: a frame is encoded and prefilled with the turn's prompt (time to first
 * token), then the remaining tokens are decoded one by one.
 *
 * @param kvEntries      self-attention KV entries after the turn (text, plus images for insertion)
 * @param casaWindow     keys held by each CASA layer for the current window (image + window text)
 * @param kvBytesUsed    fp32 bytes of those entries over all layers (K and V)
 * @param kvBytesAllocated fp32 bytes the state has allocated for its caches (preallocated capacity)
 * @param cores          CPU time of the process during the turn / its wall time (cores the turn got)
 */
record TurnRecord(String fusion, int turn, double ttftMs, double visionMs, double prefillMs, double decodeTokPerS,
                  int kvEntries, int casaWindow, long kvBytesUsed, long kvBytesAllocated, long rssBytes,
                  long rssAnonBytes, double cores) {

    static final String CSV_HEADER = "fusion,turn,ttft_ms,vision_ms,prefill_ms,decode_tok_s,kv_entries,"
            + "casa_window_entries,kv_bytes_used,kv_bytes_allocated,rss_bytes,rss_anon_bytes,cores_busy";

    String csv() {
        return String.format(java.util.Locale.ROOT, "%s,%d,%.2f,%.2f,%.2f,%.3f,%d,%d,%d,%d,%d,%d,%.2f", fusion, turn, ttftMs,
                visionMs, prefillMs, decodeTokPerS, kvEntries, casaWindow, kvBytesUsed, kvBytesAllocated, rssBytes,
                rssAnonBytes, cores);
    }
}
