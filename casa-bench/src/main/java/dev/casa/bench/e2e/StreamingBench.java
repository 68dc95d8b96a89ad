package dev.casa.bench.e2e;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LogitsMode;
import dev.casa.vision.VisionEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The CASA paper's streaming protocol scaled to this machine: every turn adds one frame (a random
 * 128×128 image through the small SigLIP tower → 64 image tokens) and a short prompt, then greedily
 * generates 16 tokens, for {@code --turns} turns. CASA and insertion run back to back in one process
 * on the same backbone and literally the same tensors (share_projections true).
 *
 * <p>A turn: [frame, prompt] in one forward call (time to first token = vision encode + that
 * prefill; its logits give generated token 1), then 15 single-token decode steps (tokens 2..16,
 * decode tok/s = 15 / their time); token 16 is fed as the first prompt token of the next turn.
 * So each turn adds prompt + 15 text tokens to the KV cache, and insertion adds the 64 image tokens
 * too; CASA keeps only the current window (the frame and the text since it) in its CASA layers.
 *
 * <p>Writes a CSV (one row per fusion and turn), a PNG plot, and prints a Markdown table.
 */
public final class StreamingBench {
    static final String USAGE = """
            StreamingBench [--model helium2b|small] [--root /tmp/casa-bench-models] [--turns 128] [--prompt 8]
                           [--generate 16] [--fusion both|casa|insertion] [--warmup-turns 2] [--threads N]
                           [--csv docs/streaming.csv] [--png docs/streaming.png] [--table-every 16]""";

    private StreamingBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "root", "turns", "prompt", "generate", "fusion", "warmup-turns",
                "threads", "csv", "png", "table-every"), USAGE);
        BenchModelSpec spec = BenchModelSpec.preset(a.string("model", "helium2b"));
        Path root = Path.of(a.string("root", BenchModelGenerator.DEFAULT_ROOT.toString()));
        int turns = a.integer("turns", 128), prompt = a.integer("prompt", 8), generate = a.integer("generate", 16);
        int warmupTurns = a.integer("warmup-turns", 2), every = a.integer("table-every", 16);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        String fusion = a.string("fusion", "both");
        Path csv = Path.of(a.string("csv", "docs/streaming.csv"));
        Path png = Path.of(a.string("png", "docs/streaming.png"));
        if (turns < 1 || prompt < 1 || generate < 2) throw new IllegalArgumentException("need turns >= 1, prompt >= 1, generate >= 2");

        String loadStart = MachineState.loadAverage();
        long started = System.nanoTime();
        List<TurnRecord> records = new ArrayList<>();
        try (ThreadPool pool = new ThreadPool(threads); BenchModel model = BenchModel.open(spec, root, pool)) {
            VisionEncoder vision = model.vision();
            System.out.printf("streaming: %s, %d turns, frame %dx%d -> %d image tokens, prompt %d, generate %d, %d threads, load %s%n",
                    spec.name(), turns, spec.imageSize(), spec.imageSize(), spec.imageTokens(), prompt, generate, threads, loadStart);
            for (String f : fusion.equals("both") ? new String[] {"casa", "insertion"} : new String[] {fusion}) {
                records.addAll(runFusion(model, vision, f, turns, prompt, generate, warmupTurns));
                System.gc();   // drop this fusion's caches before the next one allocates its own
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        String loadEnd = MachineState.loadAverage();
        writeCsv(csv, records);
        StreamingPlot.write(png, records, String.format(Locale.ROOT,
                "%s backbone, %d image tokens/frame, %d generated tokens/turn, %d threads", spec.name(), spec.imageTokens(), generate, threads));
        System.out.printf("wrote %s and %s; %.1f min; load average start %s, end %s%n", csv, png, minutes, loadStart, loadEnd);
        System.out.println(markdownTable(records, every, turns));
    }

    static List<TurnRecord> runFusion(BenchModel model, VisionEncoder vision, String fusion, int turns, int prompt,
                                      int generate, int warmupTurns) {
        BenchModelSpec spec = model.spec;
        FusedDecoder decoder = model.decoder(fusion);
        int textPerTurn = prompt + generate - 1;
        int total = Math.max(turns, warmupTurns);
        long t0 = System.nanoTime();
        DecoderState state = decoder.newState(total * textPerTurn, total * spec.imageTokens());
        System.out.printf("%s: state allocated (%.2f GB of caches) in %.1f s%n", fusion,
                state.cacheFloats() * 4 / 1e9, (System.nanoTime() - t0) / 1e9);

        // Warm-up turns on the same state (same code paths and shapes), then start from an empty state.
        runTurns(decoder, vision, spec, state, fusion, warmupTurns, prompt, generate, false);
        state.clear();
        return runTurns(decoder, vision, spec, state, fusion, turns, prompt, generate, true);
    }

    private static List<TurnRecord> runTurns(FusedDecoder decoder, VisionEncoder vision, BenchModelSpec spec, DecoderState state,
                                             String fusion, int turns, int prompt, int generate, boolean record) {
        List<TurnRecord> out = new ArrayList<>();
        int vocab = spec.vocab();
        int carry = 1; // BOS before the first turn; afterwards the last generated token
        for (int turn = 0; turn < turns; turn++) {
            float[] pixels = frame(spec, turn);
            int[] text = Greedy.prompt(prompt, vocab, 1000 + turn);
            text[0] = carry;

            double cpu0 = MachineState.processCpuSeconds();
            long t0 = System.nanoTime();
            float[] embeddings = vision.encode(pixels);
            long t1 = System.nanoTime();
            float[] logits = decoder.forward(state, text, List.of(new ImageInput(embeddings, spec.imageTokens(), 0)), LogitsMode.LAST);
            int token = Greedy.argmax(logits, vocab);
            long t2 = System.nanoTime();
            for (int i = 1; i < generate; i++) {
                token = Greedy.argmax(decoder.addTokens(state, new int[] {token}, LogitsMode.LAST), vocab);
            }
            long t3 = System.nanoTime();
            carry = token;

            TurnRecord r = new TurnRecord(fusion, turn, (t2 - t0) / 1e6, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (generate - 1) / ((t3 - t2) / 1e9), state.selfAttentionKvEntries(), state.casaWindowEntries(0),
                    kvBytesUsed(spec, decoder, state), state.cacheFloats() * 4,
                    MachineState.statusBytes("VmRSS"), MachineState.statusBytes("RssAnon"),
                    (MachineState.processCpuSeconds() - cpu0) / ((t3 - t0) / 1e9));
            if (record) {
                out.add(r);
                if (turn % 8 == 0 || turn == turns - 1) {
                    System.out.printf(Locale.ROOT, "  %s turn %3d: TTFT %7.1f ms (vision %5.1f), decode %5.2f tok/s, KV %6d entries + window %4d = %7.1f MB used, RSS %.2f GB, %.2f cores%n",
                            fusion, turn, r.ttftMs(), r.visionMs(), r.decodeTokPerS(), r.kvEntries(), r.casaWindow(),
                            r.kvBytesUsed() / 1e6, r.rssBytes() / 1e9, r.cores());
                }
            }
        }
        return out;
    }

    /** fp32 K and V of the self-attention entries in every layer plus the CASA window keys of every CASA layer. */
    static long kvBytesUsed(BenchModelSpec spec, FusedDecoder decoder, DecoderState state) {
        long perEntry = 2L * spec.kvDim() * Float.BYTES;
        long entries = (long) state.selfAttentionKvEntries() * spec.layers();
        for (int l = 0; l < spec.layers(); l++) entries += state.casaWindowEntries(l);
        return entries * perEntry;
    }

    /** A deterministic random normalised frame [3, S, S] in [-1, 1]. */
    static float[] frame(BenchModelSpec spec, int turn) {
        SplittableRandom r = new SplittableRandom(7919L * turn + 17);
        float[] px = new float[3 * spec.imageSize() * spec.imageSize()];
        for (int i = 0; i < px.length; i++) px[i] = (float) (2 * r.nextDouble() - 1);
        return px;
    }

    static void writeCsv(Path csv, List<TurnRecord> records) throws IOException {
        if (csv.getParent() != null) Files.createDirectories(csv.getParent());
        StringBuilder sb = new StringBuilder(TurnRecord.CSV_HEADER).append('\n');
        for (TurnRecord r : records) sb.append(r.csv()).append('\n');
        Files.writeString(csv, sb.toString());
    }

    /** Every {@code every}-th turn (and the last), CASA and insertion side by side. */
    static String markdownTable(List<TurnRecord> records, int every, int turns) {
        StringBuilder sb = new StringBuilder();
        sb.append("| turn | TTFT CASA (ms) | TTFT insertion (ms) | decode CASA (tok/s) | decode insertion (tok/s) "
                + "| KV CASA (MB) | KV insertion (MB) | KV entries CASA (self + window) | KV entries insertion |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int turn = 0; turn < turns; turn++) {
            if (turn % every != 0 && turn != turns - 1) continue;
            TurnRecord c = find(records, "casa", turn), i = find(records, "insertion", turn);
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", turn + 1,
                    c == null ? "–" : fmt(c.ttftMs(), 0), i == null ? "–" : fmt(i.ttftMs(), 0),
                    c == null ? "–" : fmt(c.decodeTokPerS(), 2), i == null ? "–" : fmt(i.decodeTokPerS(), 2),
                    c == null ? "–" : fmt(c.kvBytesUsed() / 1e6, 0), i == null ? "–" : fmt(i.kvBytesUsed() / 1e6, 0),
                    c == null ? "–" : c.kvEntries() + " + " + c.casaWindow(), i == null ? "–" : String.valueOf(i.kvEntries())));
        }
        return sb.toString();
    }

    private static TurnRecord find(List<TurnRecord> records, String fusion, int turn) {
        for (TurnRecord r : records) if (r.fusion().equals(fusion) && r.turn() == turn) return r;
        return null;
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
