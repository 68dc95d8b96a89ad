package dev.casa.bench.casaqwen;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.MachineState;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.image.EncodedImage;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.lm.DecoderState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CASA on the real backbone, streamed (issue 15, "a real-shape stream" and "speed"): one {@link Session}
 * over {@code --frames} synthetic 448×448 frames (32×32 patches → 256 image tokens), each frame a turn of
 * the paper's protocol: {@code addImage(frame)} + a short prompt, then 5 greedy tokens. The CASA model
 * and the insertion baseline (plain Qwen2.5-VL on the same weights, {@link CasaQwenModelGenerator}) run
 * the same stream, one after the other, in this process or (one {@code --fusion} per run) in separate
 * processes that share the CSV.
 *
 * <p>Per frame: vision encode, time to first token, decode tok/s, whole-frame time, the KV cache
 * ({@code state().cacheBytes()} and the entries actually used), the CASA window's keys, VmRSS/RssAnon,
 * cores busy. Writes a CSV (rows of the other fusion already in it are kept when one fusion runs), a PNG
 * plot, and prints a Markdown table and a summary (frames per second, ratios, flatness).
 */
public final class CasaQwenStreamBench {
    static final String USAGE = """
            CasaQwenStreamBench [--model 3b|small] [--root /tmp/casa-bench-models] [--frames 200] [--size 448]
                                [--generate 5] [--prompt "What is happening?"] [--fusion both|casa|insertion]
                                [--warmup-frames 1] [--threads N] [--table-every 20] [--chat-template PATH]
                                [--csv docs/casa-qwen-stream.csv] [--png docs/casa-qwen-stream.png] [--report-only true]
            --report-only true: no run; the PNG, table and summary from the CSV as it is""";

    private CasaQwenStreamBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "root", "frames", "size", "generate", "prompt", "fusion", "warmup-frames",
                "threads", "table-every", "chat-template", "csv", "png", "report-only"), USAGE);
        CasaQwenSpec spec = CasaQwenSpec.preset(a.string("model", "3b"));
        Path root = Path.of(a.string("root", CasaQwenModelGenerator.DEFAULT_ROOT.toString()));
        int frames = a.integer("frames", 200), size = a.integer("size", 448), generate = a.integer("generate", 5);
        int warmup = a.integer("warmup-frames", 1), every = a.integer("table-every", 20);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        String prompt = a.string("prompt", "What is happening?");
        String fusion = a.string("fusion", "both");
        Path csv = Path.of(a.string("csv", "docs/casa-qwen-stream.csv"));
        Path png = Path.of(a.string("png", "docs/casa-qwen-stream.png"));
        Path template = Path.of(a.string("chat-template", CasaQwenModelGenerator.DEFAULT_TEMPLATE.toString()));
        if (frames < 1 || generate < 2 || warmup < 0 || size < 28) {
            throw new IllegalArgumentException("need --frames >= 1, --generate >= 2, --warmup-frames >= 0, --size >= 28");
        }
        if (Boolean.parseBoolean(a.string("report-only", "false"))) {
            List<FrameRecord> all = mergeCsv(csv, List.of(), List.of());
            StreamPlot.write(png, all, String.format(Locale.ROOT, "%s, %dx%d frames (%d image tokens), %d tokens/frame, %d threads",
                    spec.name(), size, size, imageTokens(size), generate, threads));
            System.out.println(table(all, every));
            System.out.println(summary(all));
            return;
        }
        List<String> fusions = switch (fusion) {
            case "both" -> List.of("casa", "insertion");
            case "casa", "insertion" -> List.of(fusion);
            default -> throw new IllegalArgumentException("--fusion must be both, casa or insertion, got '" + fusion + "'");
        };

        CasaQwenModelGenerator.Dirs dirs = CasaQwenModelGenerator.ensure(spec, root, template);
        String loadStart = MachineState.loadAverage();
        System.out.printf("CASA-Qwen stream: %s, %d frames of %dx%d, prompt \"%s\", %d tokens/frame, %d threads; %s; load %s%n",
                spec.name(), frames, size, size, prompt, generate, threads, MachineState.cpuModel(), loadStart);
        long started = System.nanoTime();
        List<FrameRecord> records = new ArrayList<>();
        try (ThreadPool pool = new ThreadPool(threads)) {
            for (String f : fusions) {
                records.addAll(run(dirs.of(f), f, spec, frames, size, generate, prompt, warmup, pool));
                System.gc();   // drop this fusion's caches before the next one grows its own
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        String loadEnd = MachineState.loadAverage();
        List<FrameRecord> all = mergeCsv(csv, records, fusions);
        String subtitle = String.format(Locale.ROOT, "%s, %dx%d frames (%d image tokens), %d tokens/frame, %d threads",
                spec.name(), size, size, imageTokens(size), generate, threads);
        StreamPlot.write(png, all, subtitle);
        System.out.printf("wrote %s and %s; %.1f min; load average start %s, end %s%n", csv, png, minutes, loadStart, loadEnd);
        System.out.println(table(all, every));
        System.out.println(summary(all));
    }

    static int imageTokens(int size) {
        int grid = Math.max(2, Math.round(size / 28f) * 2); // smart_resize to a multiple of 28, then 2×2 merge
        return grid / 2 * (grid / 2);
    }

    static List<FrameRecord> run(Path dir, String fusion, CasaQwenSpec spec, int frames, int size, int generate, String prompt,
                                 int warmup, ThreadPool pool) {
        long t0 = System.nanoTime();
        SyntheticFrames video = new SyntheticFrames(size, size);
        GenerationOptions options = GenerationOptions.greedy(generate); // no stop ids: always `generate` tokens
        List<FrameRecord> out = new ArrayList<>();
        try (CasaModel model = CasaModel.load(dir, pool)) {
            System.out.printf("%s: loaded %s in %.1f s: %s%n", fusion, dir, (System.nanoTime() - t0) / 1e9, model.architecture());
            EncodedImage probe = model.embedImage(video.frame(0));
            for (float x : probe.embeddings()) if (!Float.isFinite(x)) throw new IllegalStateException("non-finite image embedding");
            System.out.printf("%s: a frame is %d image tokens (grid %dx%d)%n", fusion, probe.tokens(), probe.gridRows(), probe.gridCols());
            // Warm-up turns in a throwaway session: the same code paths and shapes, then a fresh session.
            Session warm = model.newSession();
            for (int i = 0; i < warmup; i++) turn(warm, video, i, prompt, options, fusion, spec);
            warm = null;
            System.gc();
            Session session = model.newSession();
            for (int i = 0; i < frames; i++) {
                FrameRecord r = turn(session, video, i, prompt, options, fusion, spec);
                out.add(r);
                System.out.printf(Locale.ROOT, "  %-9s frame %3d: %6.2f s (vision %5.2f, TTFT %5.2f, decode %5.2f tok/s), prompt %d, "
                                + "KV %d + window %d+%d = %.1f MB used / %.1f MB held, RSS %.2f GB (anon %.2f), %.2f cores%n",
                        fusion, i, r.frameMs() / 1e3, r.visionMs() / 1e3, r.ttftMs() / 1e3, r.decodeTokPerS(), r.promptTokens(),
                        r.kvEntries(), r.windowImageKeys(), r.windowTextKeys(), r.kvBytesUsed() / 1e6, r.kvBytesAllocated() / 1e6,
                        r.rssBytes() / 1e9, r.rssAnonBytes() / 1e9, r.cores());
            }
        }
        return out;
    }

    private static FrameRecord turn(Session session, SyntheticFrames video, int i, String prompt, GenerationOptions options,
                                    String fusion, CasaQwenSpec spec) {
        long[] tokenTimes = new long[options.maxNewTokens()];
        int[] count = {0};
        double cpu0 = MachineState.processCpuSeconds();
        long start = System.nanoTime();
        session.addImage(video.frame(i));
        GenerationResult result = session.ask(prompt, options, (id, piece) -> {
            if (id >= 0 && count[0] < tokenTimes.length) tokenTimes[count[0]++] = System.nanoTime();
        });
        long end = System.nanoTime();
        int n = count[0];
        if (n != options.maxNewTokens() || result.tokens().length != n) {
            throw new IllegalStateException(fusion + " frame " + i + ": generated " + n + " tokens, expected " + options.maxNewTokens()
                    + " (" + result.stopReason() + ")");
        }
        Session.TurnStats stats = session.lastTurn();
        DecoderState s = session.state();
        double decode = n > 1 ? (n - 1) / ((tokenTimes[n - 1] - tokenTimes[0]) / 1e9) : Double.NaN;
        return new FrameRecord(fusion, i, (end - start) / 1e6, stats.imageNanos() / 1e6, (tokenTimes[0] - start) / 1e6, decode,
                stats.promptTokens(), n, s.selfAttentionKvEntries(), s.windowImageKeys(), s.windowTextKeys(), kvBytesUsed(spec, s),
                s.cacheBytes(), MachineState.statusBytes("VmRSS"), MachineState.statusBytes("RssAnon"), (MachineState.processCpuSeconds() - cpu0) / ((end - start) / 1e9));
    }

    /** fp32 K and V of the self-attention entries of every layer plus each CASA layer's window keys. */
    static long kvBytesUsed(CasaQwenSpec spec, DecoderState s) {
        long entries = (long) s.selfAttentionKvEntries() * spec.layers();
        for (int l = 0; l < spec.layers(); l++) entries += s.casaWindowEntries(l);
        return entries * 2L * spec.kvDim() * Float.BYTES;
    }

    /** Writes {@code records} to {@code csv}, keeping the rows of fusions not run now; returns all rows. */
    static List<FrameRecord> mergeCsv(Path csv, List<FrameRecord> records, List<String> ran) throws IOException {
        List<FrameRecord> all = new ArrayList<>();
        if (Files.exists(csv)) {
            List<String> lines = Files.readAllLines(csv);
            if (!lines.isEmpty() && lines.get(0).equals(FrameRecord.CSV_HEADER)) {
                for (String line : lines.subList(1, lines.size())) {
                    if (line.isBlank()) continue;
                    FrameRecord r = FrameRecord.parse(line);
                    if (!ran.contains(r.fusion())) all.add(r);
                }
            }
        }
        all.addAll(records);
        all.sort((x, y) -> x.fusion().equals(y.fusion()) ? Integer.compare(x.frame(), y.frame()) : x.fusion().compareTo(y.fusion()));
        StringBuilder sb = new StringBuilder(FrameRecord.CSV_HEADER).append('\n');
        for (FrameRecord r : all) sb.append(r.csv()).append('\n');
        if (csv.getParent() != null) Files.createDirectories(csv.getParent());
        Files.writeString(csv, sb);
        return all;
    }

    static List<FrameRecord> of(List<FrameRecord> all, String fusion) {
        return all.stream().filter(r -> r.fusion().equals(fusion)).toList();
    }

    /** Every {@code every}-th frame and the last, both fusions side by side. */
    static String table(List<FrameRecord> all, int every) {
        List<FrameRecord> c = of(all, "casa"), ins = of(all, "insertion");
        int n = Math.max(c.size(), ins.size());
        StringBuilder sb = new StringBuilder();
        sb.append("| frame | s/frame CASA | s/frame insertion | CPU-s/frame (C / I) | vision s (C / I) | TTFT s CASA | TTFT s insertion | decode tok/s CASA | decode tok/s insertion | KV MB CASA | KV MB insertion | RSS GB CASA | RSS GB insertion |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < n; i++) {
            if (i % every != 0 && i != n - 1) continue;
            FrameRecord x = i < c.size() ? c.get(i) : null, y = i < ins.size() ? ins.get(i) : null;
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s / %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", i + 1,
                    f(x, r -> r.frameMs() / 1e3, "%.2f"), f(y, r -> r.frameMs() / 1e3, "%.2f"),
                    f(x, r -> r.frameMs() * r.cores() / 1e3, "%.1f"), f(y, r -> r.frameMs() * r.cores() / 1e3, "%.1f"),
                    f(x, r -> r.visionMs() / 1e3, "%.2f"), f(y, r -> r.visionMs() / 1e3, "%.2f"),
                    f(x, r -> r.ttftMs() / 1e3, "%.2f"), f(y, r -> r.ttftMs() / 1e3, "%.2f"),
                    f(x, FrameRecord::decodeTokPerS, "%.2f"), f(y, FrameRecord::decodeTokPerS, "%.2f"),
                    f(x, r -> r.kvBytesUsed() / 1e6, "%.0f"), f(y, r -> r.kvBytesUsed() / 1e6, "%.0f"),
                    f(x, r -> r.rssBytes() / 1e9, "%.2f"), f(y, r -> r.rssBytes() / 1e9, "%.2f")));
        }
        return sb.toString();
    }

    private static String f(FrameRecord r, java.util.function.ToDoubleFunction<FrameRecord> v, String fmt) {
        return r == null ? "" : String.format(Locale.ROOT, fmt, v.applyAsDouble(r));
    }

    /** Medians, sustained frames per second, the CASA / insertion ratios, and how flat each curve is. */
    static String summary(List<FrameRecord> all) {
        StringBuilder sb = new StringBuilder();
        double[] fps = new double[2];
        double[] ttft = new double[2], decode = new double[2], vision = new double[2];
        String[] names = {"casa", "insertion"};
        for (int k = 0; k < 2; k++) {
            List<FrameRecord> rs = of(all, names[k]);
            if (rs.isEmpty()) continue;
            double total = rs.stream().mapToDouble(FrameRecord::frameMs).sum() / 1e3;
            fps[k] = rs.size() / total;
            ttft[k] = median(rs, FrameRecord::ttftMs);
            decode[k] = median(rs, FrameRecord::decodeTokPerS);
            vision[k] = median(rs, FrameRecord::visionMs);
            int block = Math.max(1, rs.size() / 10);
            List<FrameRecord> first = rs.subList(0, block), last = rs.subList(rs.size() - block, rs.size());
            double f0 = median(first, FrameRecord::frameMs), f1 = median(last, FrameRecord::frameMs);
            double c0 = median(first, r -> r.frameMs() * r.cores()), c1 = median(last, r -> r.frameMs() * r.cores());
            double worst = 0;
            for (int b = 0; b + block <= rs.size(); b += block) {
                worst = Math.max(worst, Math.abs(median(rs.subList(b, b + block), FrameRecord::frameMs) / f0 - 1));
            }
            FrameRecord a = rs.get(0), z = rs.get(rs.size() - 1);
            sb.append(String.format(Locale.ROOT,
                    "%s: %d frames, %.3f frames/s sustained (%.2f s/frame); median vision %.2f s, TTFT %.2f s, decode %.2f tok/s; "
                            + "s/frame first %d frames %.2f -> last %d %.2f (%+.1f %%, largest block deviation %.1f %%), "
                            + "CPU-s/frame %.2f -> %.2f (%+.1f %%); "
                            + "KV %.0f -> %.0f MB used (%.0f -> %.0f MB held), RSS %.2f -> %.2f GB (anon %.2f -> %.2f); cores %.2f%n",
                    names[k], rs.size(), fps[k], 1 / fps[k], vision[k] / 1e3, ttft[k] / 1e3, decode[k],
                    block, f0 / 1e3, block, f1 / 1e3, 100 * (f1 / f0 - 1), 100 * worst, c0 / 1e3, c1 / 1e3, 100 * (c1 / c0 - 1),
                    a.kvBytesUsed() / 1e6, z.kvBytesUsed() / 1e6, a.kvBytesAllocated() / 1e6, z.kvBytesAllocated() / 1e6,
                    a.rssBytes() / 1e9, z.rssBytes() / 1e9, a.rssAnonBytes() / 1e9, z.rssAnonBytes() / 1e9,
                    median(rs, FrameRecord::cores)));
        }
        if (fps[0] > 0 && fps[1] > 0) {
            sb.append(String.format(Locale.ROOT, "CASA / insertion: frames/s %.2fx, median TTFT %.2fx faster, median decode %.2fx%n",
                    fps[0] / fps[1], ttft[1] / ttft[0], decode[0] / decode[1]));
        }
        return sb.toString();
    }

    static double median(List<FrameRecord> rs, java.util.function.ToDoubleFunction<FrameRecord> v) {
        double[] x = rs.stream().mapToDouble(v).toArray();
        Arrays.sort(x);
        int n = x.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
    }
}
