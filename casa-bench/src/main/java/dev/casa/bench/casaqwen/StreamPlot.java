package dev.casa.bench.casaqwen;

import dev.casa.bench.plot.FusionChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Six line charts over frames, CASA vs insertion, as a PNG: wall time per frame, time to first token, decode
 * speed, CPU-seconds per frame (what a frame costs whatever share of the cores it got), KV cache, RSS.
 */
final class StreamPlot {
    private StreamPlot() {}

    static void write(Path png, List<FrameRecord> records, String subtitle) throws IOException {
        new FusionChart<FrameRecord>("CASA vs insertion, one session over a video stream (" + subtitle + ")", "frame",
                "insertion (plain Qwen2.5-VL)", FrameRecord::frame, FrameRecord::fusion, 3, 500, 340)
                .panel("time per frame (s)", r -> r.frameMs() / 1e3)
                .panel("time to first token (s)", r -> r.ttftMs() / 1e3)
                .panel("decode (tokens/s)", FrameRecord::decodeTokPerS)
                .panel("CPU-seconds per frame (all threads)", r -> r.frameMs() * r.cores() / 1e3)
                .panel("KV cache used (MB, fp32)", r -> r.kvBytesUsed() / 1e6)
                .panel("RSS (GB; mapped weights included)", r -> r.rssBytes() / 1e9)
                .write(png, records);
    }
}
