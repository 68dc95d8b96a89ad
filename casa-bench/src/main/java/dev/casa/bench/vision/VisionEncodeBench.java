package dev.casa.bench.vision;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.bench.e2e.MachineState;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.SafetensorsFile;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;
import dev.casa.vision.VisionEncoder;
import dev.casa.vision.VisionModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * End-to-end vision encode benchmark on generated BF16 weights (no checkpoint needed): times
 * {@link VisionEncoder#encodeBatch} for SigLIP-B/16@224 or SigLIP-so400m/14@384 and reports the
 * achieved GFLOP/s against the FP32 FMA peak (~100 GFLOP/s per core on this machine).
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx4g -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.vision.VisionEncodeBench [b16|so400m] [images=1] [runs=5] [threads=all] [mmap|heap]</pre>
 *
 * {@code mmap} (default) writes the generated weights to a temporary safetensors file and encodes
 * from its memory mapping, as a real checkpoint is used; {@code heap} keeps them in heap segments
 * ({@code Tensor.ofBf16}), whose BF16 widening is slower (the Vector API loads from heap
 * segments are not intrinsified the same way).
 */
public final class VisionEncodeBench {
    private static final double PEAK_PER_CORE = 100.0; // GFLOP/s, AVX2 FMA (docs/benchmarks.md)

    private VisionEncodeBench() {}

    public static void main(String[] args) throws IOException {
        String model = args.length > 0 ? args[0] : "b16";
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        boolean mmap = args.length <= 4 || !args[4].equals("heap");
        int textWidth = 2560; // projector output d (Helium-2B width, spec §2 example)

        ObjectNode root = new ObjectMapper().createObjectNode();
        ObjectNode vc = root.putObject("vision_config");
        switch (model) {
            case "b16" -> vc.put("hidden_size", 768).put("intermediate_size", 3072).put("num_hidden_layers", 12)
                    .put("num_attention_heads", 12).put("image_size", 224).put("patch_size", 16);
            case "so400m" -> vc.put("hidden_size", 1152).put("intermediate_size", 4304).put("num_hidden_layers", 27)
                    .put("num_attention_heads", 16).put("image_size", 384).put("patch_size", 14);
            default -> throw new IllegalArgumentException("model must be b16 or so400m, got " + model);
        }
        root.put("projector_hidden_act", "gelu");
        root.putObject("text_config").put("hidden_size", textWidth);
        VisionModelConfig config = VisionModelConfig.fromJson(root);

        long t0 = System.nanoTime();
        InMemoryTensorStore store = generate(config, textWidth);
        System.out.printf("generated %.0f MB of BF16 weights in %.1f s%n", store.bytes() / 1e6, (System.nanoTime() - t0) / 1e9);

        TensorStore weights = store;
        Path file = null;
        if (mmap) {
            file = Files.createTempFile("vision-bench", ".safetensors");
            SafetensorsWriter writer = new SafetensorsWriter();
            for (String name : store.names()) writer.add(store.get(name));
            writer.write(file);
            weights = SafetensorsFile.open(file);
            store = null; // let the heap copy go
            System.out.println("weights memory-mapped from " + file);
        }
        try (ThreadPool pool = new ThreadPool(threads); TensorStore w = weights) {
            VisionEncoder encoder = VisionEncoder.load(config, w, pool);
            float[] pixels = new float[images * config.vision().pixelsPerImage()];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) (2 * rnd.nextDouble() - 1);
            float[] out = new float[images * encoder.tokensPerImage() * encoder.embeddingSize()];

            double flops = images * VisionFlops.perImage(config, textWidth);
            double peak = PEAK_PER_CORE * threads;
            System.out.printf("%s: %d image(s) of %dx%d, N=%d tokens, %.1f GFLOP per call, %d thread(s), peak ~%.0f GFLOP/s%n",
                    model, images, encoder.imageSize(), encoder.imageSize(), encoder.tokensPerImage(), flops / 1e9, threads, peak);
            int warmup = 2;
            double[] seconds = new double[runs];
            double cpuSeconds = 0;
            for (int r = -warmup; r < runs; r++) {
                double cpu0 = MachineState.processCpuSeconds();
                long s = System.nanoTime();
                encoder.encodeBatch(pixels, 0, images, out, 0);
                double sec = (System.nanoTime() - s) / 1e9;
                double cpu = MachineState.processCpuSeconds() - cpu0;
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
            System.out.printf("RESULT %s images=%d threads=%d: median %.3f s/call (%.3f s/image), %.1f GFLOP/s = %.0f%% of ~%.0f GFLOP/s peak; best %.3f s; %.2f cores busy (CPU time / wall), %.1f GFLOP per CPU-second = %.0f%% of the per-core peak%n",
                    model, images, threads, median, median / images, flops / median / 1e9,
                    100 * flops / median / 1e9 / peak, peak, seconds[0], busy,
                    runs * flops / cpuSeconds / 1e9, 100 * runs * flops / cpuSeconds / 1e9 / PEAK_PER_CORE);
        } finally {
            if (file != null) Files.deleteIfExists(file);
        }
    }

    /** Random BF16 weights for every tensor of the tower (with post_layernorm) and the projector. */
    static InMemoryTensorStore generate(VisionModelConfig config, int textWidth) {
        var v = config.vision();
        int d = v.hiddenSize(), inter = v.intermediateSize(), p = v.patchSize(), ch = v.numChannels();
        SplittableRandom rnd = new SplittableRandom(42);
        InMemoryTensorStore s = new InMemoryTensorStore();
        String pre = "vision_tower.vision_model.";
        s.put(random(pre + "embeddings.patch_embedding.weight", rnd, 1 / Math.sqrt(ch * p * p), 0, d, ch, p, p));
        s.put(random(pre + "embeddings.patch_embedding.bias", rnd, 0.02, 0, d));
        s.put(random(pre + "embeddings.position_embedding.weight", rnd, 0.1, 0, v.numPatches(), d));
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            String l = pre + "encoder.layers." + i + ".";
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                s.put(random(l + n + ".weight", rnd, 0.1, 1, d));
                s.put(random(l + n + ".bias", rnd, 0.02, 0, d));
            }
            for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                s.put(random(l + "self_attn." + n + ".weight", rnd, 1 / Math.sqrt(d), 0, d, d));
                s.put(random(l + "self_attn." + n + ".bias", rnd, 0.02, 0, d));
            }
            s.put(random(l + "mlp.fc1.weight", rnd, 1 / Math.sqrt(d), 0, inter, d));
            s.put(random(l + "mlp.fc1.bias", rnd, 0.02, 0, inter));
            s.put(random(l + "mlp.fc2.weight", rnd, 1 / Math.sqrt(inter), 0, d, inter));
            s.put(random(l + "mlp.fc2.bias", rnd, 0.02, 0, d));
        }
        s.put(random(pre + "post_layernorm.weight", rnd, 0.1, 1, d));
        s.put(random(pre + "post_layernorm.bias", rnd, 0.02, 0, d));
        String m = "multi_modal_projector.";
        s.put(random(m + "linear_1.weight", rnd, 1 / Math.sqrt(d), 0, textWidth, d));
        s.put(random(m + "linear_1.bias", rnd, 0.02, 0, textWidth));
        s.put(random(m + "linear_2.weight", rnd, 1 / Math.sqrt(textWidth), 0, textWidth, textWidth));
        s.put(random(m + "linear_2.bias", rnd, 0.02, 0, textWidth));
        return s;
    }

    private static Tensor random(String name, SplittableRandom rnd, double scale, double center, long... shape) {
        float[] values = new float[Math.toIntExact(Tensor.elementCount(shape))];
        for (int i = 0; i < values.length; i++) values[i] = (float) (center + scale * (2 * rnd.nextDouble() - 1));
        return Tensor.ofBf16(name, values, shape);
    }
}
