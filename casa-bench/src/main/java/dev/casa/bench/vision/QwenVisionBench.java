package dev.casa.bench.vision;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.SafetensorsFile;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import dev.casa.vision.qwen2vl.GridThw;
import dev.casa.vision.qwen2vl.Qwen2VisionConfig;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;
import dev.casa.vision.qwen2vl.WindowIndex;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * End-to-end benchmark of the Qwen2.5-VL vision tower with the shapes of Qwen2.5-VL-3B (depth 32, width
 * 1280, 16 heads of 80, MLP 3420, 112-px windows, full attention in blocks 7/15/23/31, output 2048) on
 * generated BF16 weights: times one {@code side × side} image (448 → 32×32 patches → 256 tokens) and
 * reports GFLOP/s against the FP32 FMA peak (~100 GFLOP/s per core on this machine).
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx6g -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.vision.QwenVisionBench [side=448] [runs=3] [threads=all] [mmap|heap] [depth=32]</pre>
 *
 * {@code mmap} (default) writes the weights to a temporary safetensors file and encodes from its
 * memory mapping, as a real checkpoint is used; {@code heap} keeps them in heap segments.
 */
public final class QwenVisionBench {
    private static final double PEAK_PER_CORE = 100.0; // GFLOP/s, FP32 FMA (docs/benchmarks.md)

    private QwenVisionBench() {}

    public static void main(String[] args) throws IOException {
        int side = args.length > 0 ? Integer.parseInt(args[0]) : 448;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        boolean mmap = args.length <= 3 || !args[3].equals("heap");
        int depth = args.length > 4 ? Integer.parseInt(args[4]) : 32;

        String fullatt = depth == 32 ? "[7, 15, 23, 31]" : "[" + (depth - 1) + "]";
        Qwen2VisionConfig config = JsonConfig.parse("""
                {"vision_config": {"model_type": "qwen2_5_vl", "depth": %d, "hidden_act": "silu", "hidden_size": 1280,
                 "intermediate_size": 3420, "num_heads": 16, "in_chans": 3, "out_hidden_size": 2048, "patch_size": 14,
                 "spatial_merge_size": 2, "window_size": 112, "fullatt_block_indexes": %s, "tokens_per_second": 2,
                 "temporal_patch_size": 2}}""".formatted(depth, fullatt), "bench").bind("vision_config", Qwen2VisionConfig.class);
        int grid = side / config.patchSize();
        grid -= grid % config.spatialMergeSize();
        GridThw g = new GridThw(1, grid, grid);

        long t0 = System.nanoTime();
        InMemoryTensorStore store = generate(config);
        System.out.printf("generated %.0f MB of BF16 weights in %.1f s%n", store.bytes() / 1e6, (System.nanoTime() - t0) / 1e9);
        TensorStore weights = store;
        Path file = null;
        if (mmap) {
            file = Files.createTempFile("qwen-vision-bench", ".safetensors");
            SafetensorsWriter writer = new SafetensorsWriter();
            for (String name : store.names()) writer.add(store.get(name));
            writer.write(file);
            weights = SafetensorsFile.open(file);
            store = null; // let the heap copy go
            System.out.println("weights memory-mapped from " + file);
        }
        try (ThreadPool pool = new ThreadPool(threads); TensorStore w = weights) {
            Qwen2VisionTower tower = Qwen2VisionTower.load(config, w, Qwen2VisionTower.HUB_PREFIX, pool);
            float[] pixels = new float[g.patches() * tower.patchVectorSize()];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (2 * rnd.nextDouble() - 1);
            float[] out = new float[tower.tokens(g) * tower.outHiddenSize()];

            double flops = flops(config, g);
            double peak = PEAK_PER_CORE * threads;
            System.out.printf("Qwen2.5-VL-3B tower: %dx%d image, grid %s, %d patches -> %d tokens, %.1f GFLOP per call, %d thread(s), peak ~%.0f GFLOP/s%n",
                    side, side, g, g.patches(), tower.tokens(g), flops / 1e9, threads, peak);
            int warmup = 2;
            double[] seconds = new double[runs];
            double cpuSeconds = 0;
            List<GridThw> grids = List.of(g);
            for (int r = -warmup; r < runs; r++) {
                double cpu0 = processCpuSeconds();
                long s = System.nanoTime();
                tower.encode(pixels, 0, grids, out, 0);
                double sec = (System.nanoTime() - s) / 1e9;
                double cpu = processCpuSeconds() - cpu0;
                System.out.printf("  %s %d: %.3f s  %.1f GFLOP/s  %.2f cores busy%n", r < 0 ? "warmup" : "run",
                        r < 0 ? r + warmup : r, sec, flops / sec / 1e9, cpu / sec);
                if (r >= 0) {
                    seconds[r] = sec;
                    cpuSeconds += cpu;
                }
            }
            Arrays.sort(seconds);
            double median = seconds[runs / 2];
            double busy = cpuSeconds / Arrays.stream(seconds).sum();
            System.out.printf("RESULT qwen2.5-vl-3b tower %dx%d threads=%d: median %.3f s/image, %.1f GFLOP/s = %.0f%% of ~%.0f GFLOP/s peak; best %.3f s; %.2f cores busy (CPU time / wall), %.1f GFLOP per CPU-second = %.0f%% of the per-core peak%n",
                    side, side, threads, median, flops / median / 1e9, 100 * flops / median / 1e9 / peak, peak, seconds[0],
                    busy, runs * flops / cpuSeconds / 1e9, 100 * runs * flops / cpuSeconds / 1e9 / PEAK_PER_CORE);
        } finally {
            if (file != null) Files.deleteIfExists(file);
        }
    }

    /** 2·M·N·K per matmul, plus 4·n·len·D per attention layer over segments of length len (Q·Kᵀ and P·V). */
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

    private static double processCpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    /** Random BF16 weights for every tensor of the tower ({@code visual.*}). */
    static InMemoryTensorStore generate(Qwen2VisionConfig c) {
        int d = c.embedDim(), inter = c.intermediateSize(), wide = c.mergerWidth();
        SplittableRandom rnd = new SplittableRandom(42);
        InMemoryTensorStore s = new InMemoryTensorStore();
        String pre = Qwen2VisionTower.HUB_PREFIX;
        s.put(random(pre + "patch_embed.proj.weight", rnd, 1 / Math.sqrt(c.patchVectorSize()), 0,
                d, c.inChannels(), c.temporalPatchSize(), c.patchSize(), c.patchSize()));
        for (int i = 0; i < c.depth(); i++) {
            String b = pre + "blocks." + i + ".";
            s.put(random(b + "norm1.weight", rnd, 0.1, 1, d));
            s.put(random(b + "norm2.weight", rnd, 0.1, 1, d));
            linear(s, rnd, b + "attn.qkv", 3 * d, d);
            linear(s, rnd, b + "attn.proj", d, d);
            linear(s, rnd, b + "mlp.gate_proj", inter, d);
            linear(s, rnd, b + "mlp.up_proj", inter, d);
            linear(s, rnd, b + "mlp.down_proj", d, inter);
        }
        s.put(random(pre + "merger.ln_q.weight", rnd, 0.1, 1, d));
        linear(s, rnd, pre + "merger.mlp.0", wide, wide);
        linear(s, rnd, pre + "merger.mlp.2", c.outHiddenSize(), wide);
        return s;
    }

    private static void linear(InMemoryTensorStore s, SplittableRandom rnd, String name, int out, int in) {
        s.put(random(name + ".weight", rnd, 1 / Math.sqrt(in), 0, out, in));
        s.put(random(name + ".bias", rnd, 0.02, 0, out));
    }

    private static Tensor random(String name, SplittableRandom rnd, double scale, double center, long... shape) {
        float[] values = new float[Math.toIntExact(Tensor.elementCount(shape))];
        for (int i = 0; i < values.length; i++) values[i] = (float) (center + scale * (2 * rnd.nextDouble() - 1));
        return Tensor.ofBf16(name, values, shape);
    }
}
