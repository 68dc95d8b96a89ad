package dev.casa.bench.e2e;

import dev.casa.bench.plot.FusionChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Three line charts over turns (time to first token, decode speed, KV cache), CASA vs insertion, as a PNG. */
final class StreamingPlot {
    private StreamingPlot() {}

    static void write(Path png, List<TurnRecord> records, String subtitle) throws IOException {
        new FusionChart<TurnRecord>("Streaming: CASA vs insertion (" + subtitle + ")", "turn", "insertion",
                TurnRecord::turn, TurnRecord::fusion, 3, 520, 400)
                .panel("time to first token (ms)", TurnRecord::ttftMs)
                .panel("decode (tokens/s)", TurnRecord::decodeTokPerS)
                .panel("KV cache used (MB, fp32)", r -> r.kvBytesUsed() / 1e6)
                .write(png, records);
    }
}
