package dev.casa.bench.qwen;

import dev.casa.CasaModel;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.Greedy;
import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.e2e.Stats;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.lm.TextConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Prefill of the Qwen2.5-VL-3B language model (memory-mapped BF16 weights) over {@code --text} text tokens and
 * {@code --image} image tokens in one call, the image through the model's own fusion (HF's placeholder path:
 * {@code <|vision_start|>}, the {@code <|image_pad|>} rows taking given embeddings, {@code <|vision_end|>}, at
 * M-RoPE positions from {@code get_rope_index}), logits of the last row only; against the FP32 FMA peak. The
 * image embeddings are random (the tower is {@link QwenVisionBench}'s); 256 image tokens = a 16×16 merged grid.
 *
 * <p>FLOPs: 2·(decoder matrix parameters)·rows + 2·vocab·hidden for the one logits row + causal attention,
 * 4·heads·head_dim per visible key per layer. One state is reused (cleared), 1 warm-up, median of the runs.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx6g -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.QwenPrefillBench \
 *     [--model /tmp/casa-bench-models/qwen2.5-vl-3b] [--text 256] [--image 256] [--warmup 1] [--runs 3] [--threads N]</pre>
 */
public final class QwenPrefillBench {
    static final String USAGE = """
            QwenPrefillBench [--model DIR] [--text 256] [--image 256] [--warmup 1] [--runs 3] [--threads N] [--peak-gflops 100*threads]""";
    static final int VISION_START = 151652, VISION_END = 151653;

    private QwenPrefillBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "text", "image", "warmup", "runs", "threads", "peak-gflops"), USAGE);
        Path dir = QwenModelGenerator.ensure(Path.of(a.string("model", QwenModelGenerator.DEFAULT_DIR.toString())));
        int textTokens = a.integer("text", 256), imageTokens = a.integer("image", 256);
        int warmup = a.integer("warmup", 1), runs = a.integer("runs", 3);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        double peak = a.number("peak-gflops", 100.0 * threads);
        int side = (int) Math.round(Math.sqrt(imageTokens));
        if (side * side != imageTokens) throw new IllegalArgumentException("--image must be a square number of tokens, got " + imageTokens);
        if (textTokens < 2) throw new IllegalArgumentException("--text must leave room for <|vision_start|> and <|vision_end|>");
        Report.header("QwenPrefillBench: Qwen2.5-VL-3B language model, BF16 weights, " + textTokens + " text + " + imageTokens
                + " image tokens, " + dir, threads);

        try (ThreadPool pool = new ThreadPool(threads); CasaModel model = CasaModel.load(dir, pool)) {
            LanguageModel lm = model.languageModel();
            TextConfig t = lm.config();
            int imageId = model.placeholderTokenId().orElseThrow();
            int before = (textTokens - 2) * 2 / 5, after = textTokens - 2 - before;
            int rows = textTokens + imageTokens;
            int[] tokens = new int[rows];
            int[] random = Greedy.prompt(textTokens - 2, QwenTokenizerWriter.BPE_TOKENS, 2);
            System.arraycopy(random, 0, tokens, 0, before);
            tokens[before] = VISION_START;
            Arrays.fill(tokens, before + 1, before + 1 + imageTokens, imageId);
            tokens[before + 1 + imageTokens] = VISION_END;
            System.arraycopy(random, before, tokens, before + 2 + imageTokens, after);
            float[] embeddings = new float[imageTokens * t.hiddenSize()];
            SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < embeddings.length; i++) embeddings[i] = (float) (rnd.nextGaussian() * 0.5);
            List<ImageInput> image = List.of(new ImageInput(embeddings, imageTokens, before + 1, side, side));
            System.out.printf("prompt: %d text tokens, <|vision_start|>, %d <|image_pad|> (%dx%d merged grid), <|vision_end|>, %d text tokens = %d rows%n",
                    before, imageTokens, side, side, after, rows);

            Probes.Rate fma = Probes.fmaPeak(pool, 5);
            System.out.printf("measured FMA peak (%d threads, register-only): %s GFLOP/s; nominal peak used for the ratio: %.0f GFLOP/s%n",
                    threads, fma, peak);
            DecoderState state = lm.newState(rows);
            double[] seconds = new double[runs];
            double cpu = 0;
            for (int r = -warmup; r < runs; r++) {
                state.clear();
                DecoderInput input = model.fusion().input(tokens, image, state);
                double c0 = MachineState.processCpuSeconds();
                long t0 = System.nanoTime();
                float[] logits = lm.forward(state, input, LogitsMode.LAST);
                double s = (System.nanoTime() - t0) / 1e9;
                Greedy.argmax(logits, t.vocabSize());
                double c = MachineState.processCpuSeconds() - c0;
                System.out.printf("  prefill %s %d: %.3f s, %.2f cores busy%n", r < 0 ? "warmup" : "run", r < 0 ? r + warmup : r, s, c / s);
                if (r >= 0) {
                    seconds[r] = s;
                    cpu += c;
                }
            }
            double flops = flops(model, rows);
            double median = Stats.median(seconds), gflops = flops / median / 1e9;
            System.out.printf("RESULT prefill qwen2.5-vl-3b threads=%d rows=%d (%d text + %d image): median %.3f s = %.1f tok/s (best %.3f s); "
                            + "%.1f GFLOP -> %.1f GFLOP/s; %.2f cores busy, %.1f GFLOP per CPU-second%n",
                    threads, rows, textTokens, imageTokens, median, rows / median, Stats.min(seconds), flops / 1e9, gflops,
                    cpu / Arrays.stream(seconds).sum(), flops * runs / cpu / 1e9);
            System.out.printf("RATIO prefill: %.1f GFLOP/s = %.0f%% of the %.0f GFLOP/s peak (target >= 70%%), %.0f%% of the measured FMA peak %.0f (best probe pass)%n",
                    gflops, 100 * gflops / peak, peak, 100 * gflops / fma.best(), fma.best());
        }
        Report.footer();
    }

    /** 2·(matrix parameters of the decoder layers)·rows + one logits row + causal attention QKᵀ and PV. */
    static double flops(CasaModel model, int rows) {
        TextConfig t = model.textConfig();
        double matrix = 0;
        for (String name : model.weights().names()) {
            if (!name.startsWith("model.layers.")) continue;
            Tensor w = model.weights().get(name);
            if (w.shape().length == 2) matrix += w.size();
        }
        double lmHead = (double) t.vocabSize() * t.hiddenSize();
        double visibleKeys = (double) rows * (rows + 1) / 2;
        double attention = 4.0 * t.numAttentionHeads() * t.headDim() * visibleKeys * t.numHiddenLayers();
        return 2 * matrix * rows + 2 * lmHead + attention;
    }
}
