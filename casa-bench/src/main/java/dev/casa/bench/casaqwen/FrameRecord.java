package dev.casa.bench.casaqwen;

import java.util.Locale;

/**
 * One frame of the stream: {@code addImage(frame)} + the prompt, then {@code generated} greedy tokens.
 *
 * @param frameMs          wall time of the whole turn (vision, prefill, decode, feeding the last token)
 * @param visionMs         image preprocessing + tower + merger
 * @param ttftMs           from the turn's start to the first generated token (vision + prefill + lm_head)
 * @param decodeTokPerS    (generated − 1) / time from the first to the last generated token
 * @param promptTokens     text rows the turn fed before generating (chat-template delta)
 * @param kvEntries        self-attention KV entries per layer after the turn (text, plus image rows for insertion)
 * @param windowImageKeys  image keys of the current CASA window (0 for insertion)
 * @param windowTextKeys   text keys of the current CASA window
 * @param kvBytesUsed      fp32 K and V of those entries over all layers (self-attention + CASA windows)
 * @param kvBytesAllocated {@code session.state().cacheBytes()}: what the caches hold (grown in steps)
 * @param cores            process CPU time during the turn / its wall time
 */
record FrameRecord(String fusion, int frame, double frameMs, double visionMs, double ttftMs, double decodeTokPerS,
                   int promptTokens, int generated, int kvEntries, int windowImageKeys, int windowTextKeys,
                   long kvBytesUsed, long kvBytesAllocated, long rssBytes, long rssAnonBytes, double cores) {

    static final String CSV_HEADER = "fusion,frame,frame_ms,vision_ms,prefill_ms,ttft_ms,decode_tok_s,prompt_tokens,generated,"
            + "kv_entries,window_image_keys,window_text_keys,kv_bytes_used,kv_bytes_allocated,rss_bytes,rss_anon_bytes,cores_busy";

    /** Time to first token minus the vision encode: the decoder's prefill and the first logits row. */
    double prefillMs() { return ttftMs - visionMs; }

    String csv() {
        return String.format(Locale.ROOT, "%s,%d,%.1f,%.1f,%.1f,%.1f,%.3f,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.2f", fusion, frame, frameMs,
                visionMs, prefillMs(), ttftMs, decodeTokPerS, promptTokens, generated, kvEntries, windowImageKeys, windowTextKeys,
                kvBytesUsed, kvBytesAllocated, rssBytes, rssAnonBytes, cores);
    }

    static FrameRecord parse(String line) {
        String[] f = line.split(",");
        return new FrameRecord(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                Double.parseDouble(f[5]), Double.parseDouble(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8]),
                Integer.parseInt(f[9]), Integer.parseInt(f[10]), Integer.parseInt(f[11]), Long.parseLong(f[12]),
                Long.parseLong(f[13]), Long.parseLong(f[14]), Long.parseLong(f[15]), Double.parseDouble(f[16]));
    }
}
