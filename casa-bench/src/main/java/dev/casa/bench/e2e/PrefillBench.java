package dev.casa.bench.e2e;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LogitsMode;
import java.nio.file.Path;
import java.util.Set;

/**
 * Prefill speed of a prompt (256 tokens by default, logits of the last token only) on the generated
 * Helium-2B-shaped model, as a fraction of the FP32 FMA peak (~100 GFLOP/s per core). FLOPs counted:
 * 2·(decoder matrix params)·tokens + 2·lm_head (one row) + causal attention QKᵀ and PV (4·H·hd per
 * visible key per layer; twice for the casa fusion, whose CASA layers attend over window −1 too).
 * One state is reused ({@link DecoderState#clear()}) so every run has warm buffers; median of the runs.
 */
public final class PrefillBench {
    static final String USAGE = """
            PrefillBench [--model helium2b|small] [--root /tmp/casa-bench-models] [--fusion insertion|casa|both]
                         [--prompt 256] [--warmup 1] [--runs 3] [--threads N] [--peak-gflops 100*threads]""";

    private PrefillBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "root", "fusion", "prompt", "warmup", "runs", "threads", "peak-gflops"), USAGE);
        BenchModelSpec spec = BenchModelSpec.preset(a.string("model", "helium2b"));
        Path root = Path.of(a.string("root", BenchModelGenerator.DEFAULT_ROOT.toString()));
        String fusions = a.string("fusion", "both");
        int promptLength = a.integer("prompt", 256), warmup = a.integer("warmup", 1), runs = a.integer("runs", 3);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        double peak = a.number("peak-gflops", 100.0 * threads) * 1e9;

        System.out.printf("load average at start: %s%n", MachineState.loadAverage());
        try (ThreadPool pool = new ThreadPool(threads); BenchModel model = BenchModel.open(spec, root, pool)) {
            for (String fusion : fusions.equals("both") ? new String[] {"insertion", "casa"} : new String[] {fusions}) {
                FusedDecoder decoder = model.decoder(fusion);
                DecoderState state = decoder.newState(promptLength, 0);
                int[] prompt = Greedy.prompt(promptLength, spec.vocab(), 2);
                double[] seconds = new double[runs];
                double cpu = 0;
                for (int r = -warmup; r < runs; r++) {
                    state.clear();
                    double c0 = MachineState.processCpuSeconds();
                    long t0 = System.nanoTime();
                    float[] logits = decoder.addTokens(state, prompt, LogitsMode.LAST);
                    double s = (System.nanoTime() - t0) / 1e9;
                    Greedy.argmax(logits, spec.vocab());
                    System.out.printf("  %s %s %d: %.3f s%n", fusion, r < 0 ? "warmup" : "run", r < 0 ? r + warmup : r, s);
                    if (r >= 0) {
                        seconds[r] = s;
                        cpu += MachineState.processCpuSeconds() - c0;
                    }
                }
                double flops = spec.prefillFlops(promptLength, 0, fusion.equals("casa"));
                double median = Stats.median(seconds);
                System.out.printf("RESULT prefill %s fusion=%s threads=%d prompt=%d: median %.3f s = %.1f tok/s, "
                                + "%.0f GFLOP -> %.1f GFLOP/s = %.0f%% of %.0f GFLOP/s peak (best %.3f s); %.2f cores busy, %.1f GFLOP per CPU-second%n",
                        spec.name(), fusion, threads, promptLength, median, promptLength / median, flops / 1e9,
                        flops / median / 1e9, 100 * flops / median / peak, peak / 1e9, Stats.min(seconds),
                        cpu / java.util.Arrays.stream(seconds).sum(), flops * runs / cpu / 1e9);
            }
        }
        System.out.printf("load average at end: %s%n", MachineState.loadAverage());
    }
}
