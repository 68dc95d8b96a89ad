package dev.casa.bench.e2e;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LogitsMode;
import java.nio.file.Path;
import java.util.Set;

/**
 * Greedy decode speed on the generated Helium-2B-shaped model (BF16 weights, memory-mapped) as a
 * fraction of the bandwidth bound: bytes one step must read (every matrix incl. lm_head, one
 * embedding row, norms, the fp32 KV rows attended) / the measured read bandwidth (30 GB/s, 2 threads).
 *
 * <p>Fusions: {@code insertion} with no image is the plain text-only LM; {@code casa} without images
 * also runs the CASA attention over window −1 (all text so far), on the same shared projections.
 * Each step is timed on its own after warm-up steps; the result is the median step.
 */
public final class DecodeBench {
    static final String USAGE = """
            DecodeBench [--model helium2b|small] [--root /tmp/casa-bench-models] [--fusion insertion|casa|both]
                        [--context 64] [--warmup 16] [--tokens 32] [--threads N] [--bandwidth-gbs 30]""";

    private DecodeBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "root", "fusion", "context", "warmup", "tokens", "threads", "bandwidth-gbs"), USAGE);
        BenchModelSpec spec = BenchModelSpec.preset(a.string("model", "helium2b"));
        Path root = Path.of(a.string("root", BenchModelGenerator.DEFAULT_ROOT.toString()));
        String fusions = a.string("fusion", "both");
        int context = a.integer("context", 64), warmup = a.integer("warmup", 16), tokens = a.integer("tokens", 32);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        double bandwidth = a.number("bandwidth-gbs", threads >= 2 ? 30 : 19) * 1e9;

        System.out.printf("load average at start: %s%n", MachineState.loadAverage());
        try (ThreadPool pool = new ThreadPool(threads); BenchModel model = BenchModel.open(spec, root, pool)) {
            for (String fusion : fusions.equals("both") ? new String[] {"insertion", "casa"} : new String[] {fusions}) {
                run(model, fusion, context, warmup, tokens, threads, bandwidth);
            }
        }
        System.out.printf("load average at end: %s%n", MachineState.loadAverage());
    }

    static void run(BenchModel model, String fusion, int context, int warmup, int tokens, int threads, double bandwidth) {
        BenchModelSpec spec = model.spec;
        FusedDecoder decoder = model.decoder(fusion);
        DecoderState state = decoder.newState(context + warmup + tokens + 1, 0);
        int[] prompt = Greedy.prompt(context, spec.vocab(), 1);
        int first = Greedy.argmax(decoder.addTokens(state, prompt, LogitsMode.LAST), spec.vocab());
        Greedy.TimedDecode timed = Greedy.time(t -> decoder.addTokens(state, new int[] {t}, LogitsMode.LAST), first,
                spec.vocab(), warmup, tokens);
        double[] seconds = timed.seconds();
        double cores = timed.cores();
        int midContext = context + warmup + tokens / 2;
        boolean casa = fusion.equals("casa");
        double bytes = spec.decodeBytes(midContext, casa ? midContext : 0);
        double median = Stats.median(seconds);
        double tokPerS = 1 / median;
        double bound = bandwidth / bytes;
        System.out.printf("RESULT decode %s fusion=%s threads=%d context=%d..%d: median %.1f ms/token = %.2f tok/s "
                        + "(min %.1f, max %.1f ms); bound %.2f tok/s (%.2f GB/token at %.0f GB/s) -> %.0f%% of bound, %.1f GB/s effective; %.2f cores busy (CPU time / wall)%n",
                spec.name(), fusion, threads, context + warmup, context + warmup + tokens, median * 1e3, tokPerS,
                Stats.min(seconds) * 1e3, Stats.max(seconds) * 1e3, bound, bytes / 1e9, bandwidth / 1e9,
                100 * tokPerS / bound, bytes / median / 1e9, cores);
    }
}
