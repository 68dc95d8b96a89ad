package dev.casa.bench.qwen;

import dev.casa.CasaModel;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.Greedy;
import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.e2e.Stats;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.lm.TextConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Greedy decode of the Qwen2.5-VL-3B language model (memory-mapped BF16 weights of the generated model
 * directory) against the memory-bandwidth bound measured in the same run. After a {@code --context}-token
 * prompt, {@code --warmup} steps, then {@code --tokens} single-token steps each timed alone: the median step.
 *
 * <p>Bound = read bandwidth / bytes one step reads. Bytes: every language-model tensor as stored (BF16; the
 * tied embedding counted once, as the lm_head it also is: every logit reads it), plus the fp32 K and V rows
 * attended in every layer at the mid-run context. Bandwidth: {@link Probes#readBandwidth} over a 1 GiB
 * buffer (32× the L3) with the same threads, 7 passes before and 7 after the decode; the best pass (the median
 * pass is printed too: on a shared machine it is often taken while other processes read memory).
 * With {@code --peer true}, OpenBLAS sgemv (numpy, fp32, matrices far larger than the L3) reports its GB/s too.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx4g -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.QwenDecodeBench \
 *     [--model /tmp/casa-bench-models/qwen2.5-vl-3b] [--context 64] [--warmup 8] [--tokens 32] [--threads N] [--peer true]</pre>
 */
public final class QwenDecodeBench {
    static final String USAGE = """
            QwenDecodeBench [--model DIR] [--context 64] [--warmup 8] [--tokens 32] [--threads N] [--probe-mib 1024] [--peer true|false]""";

    private QwenDecodeBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "context", "warmup", "tokens", "threads", "probe-mib", "peer"), USAGE);
        Path dir = QwenModelGenerator.ensure(Path.of(a.string("model", QwenModelGenerator.DEFAULT_DIR.toString())));
        int context = a.integer("context", 64), warmup = a.integer("warmup", 8), tokens = a.integer("tokens", 32);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        long probeBytes = a.integer("probe-mib", 1024) * (1L << 20);
        boolean peer = Boolean.parseBoolean(a.string("peer", "true"));
        Report.header("QwenDecodeBench: Qwen2.5-VL-3B language model, BF16 weights, " + dir, threads);

        double median, min, max, cores, bytes;
        Probes.Rate before, after;
        try (ThreadPool pool = new ThreadPool(threads); CasaModel model = CasaModel.load(dir, pool)) {
            LanguageModel lm = model.languageModel();
            TextConfig t = lm.config();
            int vocab = t.vocabSize();
            before = Probes.readBandwidth(pool, probeBytes, 7);
            System.out.printf("read bandwidth before (%d MiB buffer, %d threads): %s GB/s%n", probeBytes >> 20, threads, before);

            DecoderState state = lm.newState(context + warmup + tokens + 1);
            int[] prompt = Greedy.prompt(context, QwenTokenizerWriter.BPE_TOKENS, 1);
            int first = Greedy.argmax(lm.addTokens(state, prompt, LogitsMode.LAST), vocab);
            Greedy.TimedDecode timed = Greedy.time(tok -> lm.addTokens(state, new int[] {tok}, LogitsMode.LAST), first,
                    vocab, warmup, tokens);
            double[] seconds = timed.seconds();
            cores = timed.cores();
            median = Stats.median(seconds);
            min = Stats.min(seconds);
            max = Stats.max(seconds);
            after = Probes.readBandwidth(pool, probeBytes, 7);
            System.out.printf("read bandwidth after: %s GB/s%n", after);
            double weights = languageModelBytes(model);
            int midContext = context + warmup + tokens / 2;
            double kv = 2.0 * t.numHiddenLayers() * t.numKeyValueHeads() * t.headDim() * Float.BYTES * midContext;
            bytes = weights + kv;
            System.out.printf("bytes per step: %.3f GB of weights (BF16, tied embedding once) + %.1f MB of K/V at context %d = %.3f GB%n",
                    weights / 1e9, kv / 1e6, midContext, bytes / 1e9);
        }
        // The bound uses the best probe pass: the bandwidth the machine gives when this process has it (a
        // conservative bound on a shared machine, where the median pass may be taken while others read memory too).
        double bandwidth = Math.max(before.best(), after.best()), medianBandwidth = (before.median() + after.median()) / 2;
        double tokPerS = 1 / median, bound = bandwidth * 1e9 / bytes;
        System.out.printf("RESULT decode qwen2.5-vl-3b threads=%d context=%d..%d: median %.1f ms/token = %.2f tok/s (min %.1f, max %.1f ms), "
                        + "%.1f GB/s effective; %.2f cores busy%n",
                threads, context + warmup, context + warmup + tokens, median * 1e3, tokPerS, min * 1e3, max * 1e3,
                bytes / median / 1e9, cores);
        System.out.printf("RATIO decode: %.2f tok/s vs bound %.2f tok/s (%.2f GB/token at the best probe pass, %.1f GB/s) = %.0f%% of the bound"
                        + " (target >= 80%%); fastest step %.0f%%; against the median probe pass (%.1f GB/s): %.0f%%%n",
                tokPerS, bound, bytes / 1e9, bandwidth, 100 * tokPerS / bound, 100 / min / bound, medianBandwidth,
                100 * tokPerS / (medianBandwidth * 1e9 / bytes));
        if (peer) {
            String why = PythonPeer.unavailable("sgemv_bandwidth.py");
            if (why != null) {
                System.out.println("sgemv peer skipped: " + why);
            } else {
                for (Map<String, String> r : PythonPeer.run("sgemv_bandwidth.py", threads, "PEER", "--threads", Integer.toString(threads))) {
                    System.out.printf("RATIO decode vs OpenBLAS sgemv: casa decode %.1f GB/s effective = %.0f%% of OpenBLAS sgemv %s GB/s (median; best %s)%n",
                            bytes / median / 1e9, 100 * bytes / median / 1e9 / Double.parseDouble(r.get("median_gbs")),
                            r.get("median_gbs"), r.get("best_gbs"));
                }
            }
        }
        Report.footer();
    }

    /** Bytes of the language model's tensors as stored (everything outside the vision tower). */
    static double languageModelBytes(CasaModel model) {
        double bytes = 0;
        for (String name : model.weights().names()) {
            if (name.startsWith("visual.") || name.startsWith("model.visual.")) continue;
            Tensor tensor = model.weights().get(name);
            bytes += tensor.data().byteSize();
        }
        return bytes;
    }
}
