package dev.casa.bench.qwen;

import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.e2e.Stats;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.processor.Qwen2VLImageProcessor;
import dev.casa.vision.qwen2vl.GridThw;
import dev.casa.vision.qwen2vl.Qwen2VisionConfig;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;
import dev.casa.vision.qwen2vl.WindowIndex;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The Qwen2.5-VL-3B vision tower (memory-mapped BF16 weights of the generated model directory) encoding one
 * image per call, for each size given (the image size before {@code smart_resize}; 448×448 → 32×32 patches →
 * 256 tokens, 1280×720 → 52×92 patches → 1,196 tokens), against the FP32 FMA peak and, in the same run, the
 * same computation in PyTorch fp32 ({@code scripts/qwen_vision_torch_bench.py}, run after the Java
 * measurements). Pixels are random (the processor's cost is in {@link QwenTtftBench}). FLOPs: 2·M·N·K for
 * every matmul (patch embedding, qkv, proj, gate/up/down, merger) plus 4·len²·D per attention segment.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx4g -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.QwenVisionBench \
 *     [--model /tmp/casa-bench-models/qwen2.5-vl-3b] [--sizes 448x448,1280x720] [--warmup 1] [--runs 3] [--threads N] [--peer true]
 *     [--peer-attention segments|hf|segments,hf]</pre>
 * The peer's attention: {@code segments} (per window, the stronger peer) or {@code hf} (HF v4.51.3's eager code: a
 * T×T mask over all patches in every layer); see the script.
 */
public final class QwenVisionBench {
    static final String USAGE = """
            QwenVisionBench [--model DIR] [--sizes 448x448,1280x720] [--warmup 1] [--runs 3] [--threads N]
                            [--peer true|false] [--peer-attention segments|hf|segments,hf] [--peak-gflops 100*threads]""";
    static final String PEER_SCRIPT = "qwen_vision_torch_bench.py";

    private QwenVisionBench() {}

    private record Result(String size, GridThw grid, int tokens, double flops, double median, double best, double busy) {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "sizes", "warmup", "runs", "threads", "peer", "peer-attention", "peak-gflops"), USAGE);
        Path dir = QwenModelGenerator.ensure(Path.of(a.string("model", QwenModelGenerator.DEFAULT_DIR.toString())));
        String sizes = a.string("sizes", "448x448,1280x720");
        int warmup = a.integer("warmup", 1), runs = a.integer("runs", 3);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        boolean peer = Boolean.parseBoolean(a.string("peer", "true"));
        String peerAttention = a.string("peer-attention", "segments");
        double peak = a.number("peak-gflops", 100.0 * threads);
        Report.header("QwenVisionBench: Qwen2.5-VL-3B vision tower, BF16 weights, " + dir, threads);

        Qwen2VLImageProcessor processor = (Qwen2VLImageProcessor) ImageProcessors.load(dir.resolve("preprocessor_config.json"));
        List<Result> results = new ArrayList<>();
        Probes.Rate fma;
        try (ThreadPool pool = new ThreadPool(threads); Qwen2VisionTower tower = Qwen2VisionTower.open(dir, pool)) {
            fma = Probes.fmaPeak(pool, 5);
            System.out.printf("measured FMA peak (%d threads, register-only): %s GFLOP/s; nominal peak used for the ratios: %.0f GFLOP/s%n",
                    threads, fma, peak);
            for (String size : sizes.split(",")) {
                int[] wh = parseSize(size);
                ImageLayout.PatchGrid layout = processor.layout(wh[0], wh[1]);
                GridThw grid = new GridThw(1, layout.h(), layout.w());
                results.add(run(tower, size, grid, warmup, runs));
            }
        }
        System.out.println("load average after the Java runs: " + MachineState.loadAverage());

        Map<String, List<Map<String, String>>> peers = new LinkedHashMap<>();   // by size, one per attention mode
        if (peer) {
            String why = PythonPeer.unavailable(PEER_SCRIPT);
            if (why != null) {
                System.out.println("peer skipped: " + why);
            } else {
                for (Map<String, String> r : PythonPeer.run(PEER_SCRIPT, threads, "PEER", "--sizes", sizes,
                        "--runs", Integer.toString(runs), "--warmup", Integer.toString(warmup), "--threads", Integer.toString(threads),
                        "--attention", peerAttention)) {
                    peers.computeIfAbsent(r.get("size"), k -> new ArrayList<>()).add(r);
                }
            }
        }
        for (Result r : results) {
            double gflops = r.flops / r.median / 1e9;
            System.out.printf("RESULT vision %s grid %s (%d patches -> %d tokens), %.1f GFLOP: casa median %.3f s (best %.3f) = %.1f GFLOP/s"
                            + " = %.0f%% of the %.0f GFLOP/s peak (target >= 75%%), %.0f%% of the measured FMA peak %.0f (best probe pass); %.2f cores busy,"
                            + " %.1f GFLOP per CPU-second%n",
                    r.size, r.grid, r.grid.patches(), r.tokens, r.flops / 1e9, r.median, r.best, gflops, 100 * gflops / peak, peak,
                    100 * gflops / fma.best(), fma.best(), r.busy, gflops / r.busy);
            for (Map<String, String> p : peers.getOrDefault(r.size, List.of())) {
                double ps = Double.parseDouble(p.get("median_s")), pf = Double.parseDouble(p.get("gflop"));
                if (Math.abs(pf - r.flops / 1e9) > 0.01 * pf) {
                    System.out.printf("WARNING: the peer counts %.2f GFLOP, casa %.2f%n", pf, r.flops / 1e9);
                }
                double perCpu = Double.parseDouble(p.get("gflops")) / Double.parseDouble(p.get("cores_busy"));
                System.out.printf("RATIO vision %s, peer attention %s: PyTorch fp32 median %s s (best %s, %s GFLOP/s, %s cores busy) -> casa is %.2fx PyTorch (target >= 1.3x);"
                                + " per CPU-second casa %.1f vs PyTorch %.1f GFLOP = %.2fx%n",
                        r.size, p.get("attention"), p.get("median_s"), p.get("best_s"), p.get("gflops"), p.get("cores_busy"), ps / r.median,
                        gflops / r.busy, perCpu, gflops / r.busy / perCpu);
            }
        }
        Report.footer();
    }

    static int[] parseSize(String s) {
        String[] p = s.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 2) throw new IllegalArgumentException("size must be WIDTHxHEIGHT, got '" + s + "'");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    private static Result run(Qwen2VisionTower tower, String size, GridThw g, int warmup, int runs) {
        float[] pixels = new float[Math.multiplyExact(g.patches(), tower.patchVectorSize())];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (2 * rnd.nextDouble() - 1);
        float[] out = new float[tower.tokens(g) * tower.outHiddenSize()];
        double flops = flops(tower.config(), g);
        System.out.printf("%s: grid %s, %d patches -> %d tokens, %.1f GFLOP per image%n", size, g, g.patches(), tower.tokens(g), flops / 1e9);
        double[] seconds = new double[runs];
        double cpu = 0;
        for (int r = -warmup; r < runs; r++) {
            double c0 = MachineState.processCpuSeconds();
            long t0 = System.nanoTime();
            tower.encode(pixels, 0, List.of(g), out, 0);
            double s = (System.nanoTime() - t0) / 1e9;
            double c = MachineState.processCpuSeconds() - c0;
            for (float v : out) if (!Float.isFinite(v)) throw new IllegalStateException("non-finite tower output");
            System.out.printf("  casa %s %s %d: %.3f s, %.1f GFLOP/s, %.2f cores busy%n", size, r < 0 ? "warmup" : "run",
                    r < 0 ? r + warmup : r, s, flops / s / 1e9, c / s);
            if (r >= 0) {
                seconds[r] = s;
                cpu += c;
            }
        }
        return new Result(size, g, tower.tokens(g), flops, Stats.median(seconds), Stats.min(seconds), cpu / Arrays.stream(seconds).sum());
    }

    /** 2·M·N·K per matmul, plus 4·len²·D per attention layer over segments of length len (Q·Kᵀ and P·V). */
    static double flops(Qwen2VisionConfig c, GridThw g) {
        double n = g.patches(), d = c.embedDim(), inter = c.intermediateSize(), units = n / c.mergeUnit();
        WindowIndex wi = WindowIndex.of(List.of(g), c.spatialMergeSize(), c.windowUnits());
        double windowAttention = segmentsFlops(wi.cuWindowSeqlens(), d), fullAttention = segmentsFlops(wi.cuSeqlens(), d);
        double total = 2 * n * c.patchVectorSize() * d;
        for (int layer = 0; layer < c.depth(); layer++) {
            total += 2 * n * d * 3 * d + 2 * n * d * d + 3 * 2 * n * d * inter;
            total += c.fullAttention(layer) ? fullAttention : windowAttention;
        }
        double wide = c.mergerWidth();
        return total + 2 * units * wide * wide + 2 * units * wide * c.outHiddenSize();
    }

    private static double segmentsFlops(int[] cu, double d) {
        double f = 0;
        for (int s = 0; s + 1 < cu.length; s++) {
            double len = cu[s + 1] - cu[s];
            f += 4 * len * len * d;
        }
        return f;
    }
}
