package dev.casa.bench.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.LoadOptions;
import dev.casa.Quantization;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.MachineState;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decode and prefill speed with BF16, Q8_0 and Q4_0 weights on an {@link LmShape}, each decode against its own
 * bandwidth bound (bytes one step reads ÷ the read bandwidth measured in the same run, {@link ReadBandwidth}),
 * quantized prefill against the same run's BF16 prefill, and the peers on the same weights in the same run:
 * llama.cpp's {@code llama-bench} on a GGUF file holding the same bytes ({@link GgufExport}), and Jlama 0.8.4
 * (which reads the BF16 safetensors and quantizes to its own Q4 at load). One command prints every ratio and
 * the CPU model (docs/benchmarks.md, docs/quantization.md):
 *
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
 *     -cp casa-bench/target/casa-bench.jar dev.casa.bench.quant.QuantDecodeBench --shape helium2b \
 *     [--llama-bench /tmp/casa-peers/llama/bin/llama-bench] [--jlama /tmp/casa-peers/jlama]</pre>
 */
public final class QuantDecodeBench {
    static final String USAGE = """
            QuantDecodeBench [--shape helium2b|qwen3b|tiny] [--root /tmp/casa-bench-models/quant] [--threads 2]
                             [--formats bf16,q8_0,q4_0] [--context 64] [--warmup 8] [--tokens 32] [--prompt 256] [--runs 3] [--rounds 2]
                             [--llama-bench PATH] [--jlama DIR] [--jlama-weights Q4[,BF16]] [--probe-passes 3]""";

    private QuantDecodeBench() {}

    /** One runtime's numbers for one format. */
    record Row(String who, String format, double decodeTokS, double prefillTokS, double bytesPerToken, double adjacentGBs, String note) {}

    public static void main(String[] argv) throws Exception {
        Args o = new Args(argv, Set.of("shape", "root", "threads", "formats", "context", "warmup", "tokens", "prompt", "runs",
                "rounds", "llama-bench", "jlama", "jlama-weights", "probe-passes"), USAGE);
        LmShape shape = LmShape.preset(o.string("shape", "helium2b"));
        Path root = Path.of(o.string("root", "/tmp/casa-bench-models/quant"));
        int threads = o.integer("threads", 2);
        int context = o.integer("context", 64), warmup = o.integer("warmup", 8), tokens = o.integer("tokens", 32);
        int prompt = o.integer("prompt", 256), runs = o.integer("runs", 3), passes = o.integer("probe-passes", 3);
        int rounds = o.integer("rounds", 2);
        List<Quantization> formats = new ArrayList<>();
        for (String f : o.string("formats", "bf16,q8_0,q4_0").split(",")) formats.add(f.equalsIgnoreCase("bf16") ? Quantization.NONE : Quantization.parse(f));

        System.out.println("cpu: " + MachineState.cpuModel());
        System.out.printf("java %s, %d-bit vectors, %d threads; load average at start %s%n", Runtime.version(),
                dev.casa.core.tensor.Simd.F.vectorBitSize(), threads, MachineState.loadAverage());
        Path dir = LmModelGenerator.ensure(shape, root);
        List<Row> rows = new ArrayList<>();
        Map<String, Path> gguf = new LinkedHashMap<>();
        List<ReadBandwidth.Result> probes = new ArrayList<>();
        try (ThreadPool pool = new ThreadPool(threads)) {
            // GGUF files first: writing gigabytes evicts page cache the measurements should not have to refill.
            for (Quantization q : formats) {
                Path g = root.resolve(shape.name() + "-" + shape.hash().substring(0, 12) + "-" + label(q).toLowerCase() + ".gguf");
                gguf.put(label(q), g);
                if (o.has("llama-bench") && !Files.exists(g)) {
                    try (CasaModel model = CasaModel.load(dir, LoadOptions.defaults().withPool(pool).withQuantize(q))) {
                        long g0 = System.nanoTime();
                        GgufExport.write(model, shape, g);
                        System.out.printf("wrote %s (%.2f GB) in %.1f s%n", g, Files.size(g) / 1e9, (System.nanoTime() - g0) / 1e9);
                    }
                }
            }
            ReadBandwidth bandwidth = new ReadBandwidth(pool, passes);
            ReadBandwidth.Result previous = probe(bandwidth);
            probes.add(previous);
            // Rounds of casa-java then llama.cpp per format, back to back: this machine's bandwidth drifts between
            // levels over minutes, so each comparison is made under the same conditions; medians over the rounds.
            for (int round = 1; round <= rounds; round++) {
                for (Quantization q : formats) {
                    String name = label(q);
                    long t0 = System.nanoTime();
                    try (CasaModel model = CasaModel.load(dir, LoadOptions.defaults().withPool(pool).withQuantize(q))) {
                        double loadS = (System.nanoTime() - t0) / 1e9;
                        double bytes = bytesPerToken(model, shape, context + warmup + tokens / 2);
                        double decode = decode(model.languageModel(), shape, context, warmup, tokens);
                        ReadBandwidth.Result after = probe(bandwidth);   // the probes around the decode saw its conditions
                        probes.add(after);
                        double adjacent = Math.max(previous.best(), after.best());
                        previous = after;
                        double prefill = prefill(model.languageModel(), shape, prompt, runs);
                        rows.add(new Row("casa-java", name, decode, prefill, bytes, adjacent, String.format("load %.1f s", loadS)));
                        System.out.printf("round %d: casa-java %s: decode %.2f tok/s (%.2f GB/token), prefill %d: %.1f tok/s; load %.1f s%n",
                                round, name, decode, bytes / 1e9, prompt, prefill, loadS);
                    }
                    if (o.has("llama-bench")) {
                        Row r = LlamaBench.run(Path.of(o.string("llama-bench", "")), gguf.get(name), name, threads, context, tokens, prompt, runs);
                        rows.add(r);
                    }
                }
            }
        }
        if (o.has("jlama")) {
            for (String w : o.string("jlama-weights", "Q4").split(",")) {
                try {
                    rows.add(JlamaPeer.run(Path.of(o.string("jlama", "")), dir, shape, w, threads, context, warmup, tokens, prompt, runs));
                } catch (IOException e) {
                    System.out.println("Jlama " + w + ": " + e.getMessage());
                }
            }
        }
        report(shape, rows, probes, threads, context, tokens, prompt);
    }

    static String label(Quantization q) {
        return q == Quantization.NONE ? "BF16" : q.linearFormat().name();
    }

    private static ReadBandwidth.Result probe(ReadBandwidth bandwidth) {
        ReadBandwidth.Result r = bandwidth.measure();
        System.out.printf("read bandwidth: stream probe %.1f GB/s, sgemv %.1f GB/s (%s)%n", r.streamGBs(), r.sgemvGBs(), r.sgemvNote());
        return r;
    }

    /**
     * Bytes one decode step reads at {@code context} cached tokens: every matrix it multiplies in its loaded format
     * (the layers' projections and the head), one embedding row, norm weights and biases (held as fp32), and the
     * fp32 K and V rows attended.
     */
    static double bytesPerToken(CasaModel model, LmShape s, int context) {
        TensorStore w = model.weights();
        double bytes = 0;
        for (String name : w.names()) {
            Tensor t = w.get(name);
            boolean embedding = name.equals("model.embed_tokens.weight");
            if (t.rank() == 2 && !(embedding && !s.tied())) bytes += t.data().byteSize();
            else if (embedding) bytes += t.data().byteSize() / s.vocab();
            else bytes += 4.0 * t.size();
        }
        return bytes + 2.0 * 4 * s.kvDim() * s.layers() * context;
    }

    static double decode(LanguageModel lm, LmShape s, int context, int warmup, int tokens) {
        DecoderState state = lm.newState(context + warmup + tokens + 1);
        int next = argmax(lm.forward(state, DecoderInput.tokens(promptIds(context, s.vocab())), LogitsMode.LAST));
        double[] seconds = new double[tokens];
        for (int i = -warmup; i < tokens; i++) {
            long t0 = System.nanoTime();
            float[] logits = lm.forward(state, DecoderInput.tokens(next), LogitsMode.LAST);
            if (i >= 0) seconds[i] = (System.nanoTime() - t0) / 1e9;
            next = argmax(logits);
        }
        return 1 / median(seconds);
    }

    static double prefill(LanguageModel lm, LmShape s, int prompt, int runs) {
        DecoderState state = lm.newState(prompt);
        int[] ids = promptIds(prompt, s.vocab());
        double[] seconds = new double[runs];
        for (int r = -1; r < runs; r++) {
            state.clear();
            long t0 = System.nanoTime();
            argmax(lm.forward(state, DecoderInput.tokens(ids), LogitsMode.LAST));
            if (r >= 0) seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        return prompt / median(seconds);
    }

    static int[] promptIds(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = 3 + (int) ((i * 2654435761L) % (vocab - 3));
        return ids;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The median over rounds of each runtime and format, in the order they first ran. */
    static List<Row> medians(List<Row> rows) {
        Map<String, List<Row>> byKey = new LinkedHashMap<>();
        for (Row r : rows) byKey.computeIfAbsent(r.who() + "|" + r.format(), k -> new ArrayList<>()).add(r);
        List<Row> out = new ArrayList<>();
        for (List<Row> rs : byKey.values()) {
            Row f = rs.get(0);
            out.add(new Row(f.who(), f.format(), median(rs.stream().mapToDouble(Row::decodeTokS).toArray()),
                    median(rs.stream().mapToDouble(Row::prefillTokS).toArray()), f.bytesPerToken(),
                    median(rs.stream().mapToDouble(Row::adjacentGBs).toArray()),
                    rs.size() + (rs.size() == 1 ? " run" : " rounds") + (f.note() == null ? "" : ", " + f.note())));
        }
        return out;
    }

    private static void report(LmShape shape, List<Row> all, List<ReadBandwidth.Result> probes, int threads, int context, int tokens, int prompt) {
        List<Row> rows = medians(all);
        double bw = 0;
        for (ReadBandwidth.Result p : probes) bw = Math.max(bw, p.best());
        Row casaBf16 = null, llamaBf16 = null;
        Map<String, Row> llama = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.who().equals("casa-java") && r.format().equals("BF16")) casaBf16 = r;
            if (r.who().equals("llama.cpp")) llama.put(r.format(), r);
        }
        if (llama.containsKey("BF16") && casaBf16 != null) llamaBf16 = llama.get("BF16");
        // llama.cpp's BF16 decode reads (about) our BF16 bytes per token: a rate the machine demonstrably delivers.
        double witness = llamaBf16 == null ? Double.NaN : llamaBf16.decodeTokS() * casaBf16.bytesPerToken() / 1e9;
        System.out.println();
        System.out.printf("RESULT %s, %d threads, decode of %d tokens after %d, prefill %d tokens; cpu %s; load average at end %s%n",
                shape.name(), threads, tokens, context, prompt, MachineState.cpuModel(), MachineState.loadAverage());
        System.out.printf("read bandwidth: best of the stream probe and OpenBLAS sgemv over the run %.1f GB/s (the bound = bytes per token / this)%s%n",
                bw, Double.isNaN(witness) ? "" : String.format("; llama.cpp's BF16 decode read %.1f GB/s", witness));
        System.out.println("| runtime | weights | decode tok/s | GB/token | bound tok/s | % of bound | % of adjacent probes |"
                + (Double.isNaN(witness) ? "" : " % of llama.cpp BF16 read |") + " prefill tok/s | prefill vs BF16 | decode vs llama.cpp | runs |");
        System.out.println("|---|---|---|---|---|---|---|" + (Double.isNaN(witness) ? "" : "---|") + "---|---|---|---|");
        for (Row r : rows) {
            boolean ours = r.who().equals("casa-java");
            double bound = ours ? bw * 1e9 / r.bytesPerToken() : Double.NaN;
            Row peer = llama.get(r.format());
            double gbs = r.decodeTokS() * r.bytesPerToken() / 1e9;
            System.out.printf("| %s | %s | %.2f | %s | %s | %s | %s |%s %.1f | %s | %s | %s |%n", r.who(), r.format(), r.decodeTokS(),
                    ours ? String.format("%.2f", r.bytesPerToken() / 1e9) : "", ours ? String.format("%.2f", bound) : "",
                    ours ? String.format("%.0f%%", 100 * r.decodeTokS() / bound) : "",
                    ours ? String.format("%.0f%% of %.1f GB/s", 100 * gbs / r.adjacentGBs(), r.adjacentGBs()) : "",
                    Double.isNaN(witness) ? "" : ours ? String.format(" %.0f%% |", 100 * gbs / witness) : " |",
                    r.prefillTokS(),
                    ours && casaBf16 != null ? String.format("%.0f%%", 100 * r.prefillTokS() / casaBf16.prefillTokS()) : "",
                    ours && peer != null ? String.format("%.2fx", r.decodeTokS() / peer.decodeTokS()) : "", r.note());
        }
    }

    static JsonNode json(String text) throws IOException {
        return new ObjectMapper().readTree(text);
    }
}
