package dev.casa.bench.smolvlm;

import dev.casa.CasaModel;
import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.qwen.Probes;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.Tensor;
import dev.casa.image.EncodedImage;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.prompt.Prompt;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ProcessedImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * "Describe this photo" on the SmolVLM-256M shape (random BF16 weights, {@link SmolVLMModelGenerator}), one
 * 1920×1080 image, each stage timed separately as {@code scripts/smolvlm_torch_bench.py} times its PyTorch fp32
 * peer: preprocessing (Idefics3ImageProcessor: 2048×1152 → 2048×1536, 12 tiles + global), encoding (SigLIP over
 * the 13 tiles + connector: 832 image tokens), prefill (the whole prompt, logits of the last token) and decode
 * (greedy steps through the KV cache, EOS ignored). The photo is synthetic and deterministic, written as PNG
 * for the peer. Medians of the runs; the decode bound is the bytes a step reads (BF16 weights and the fp32 K/V
 * rows attended) at the read bandwidth measured in the same run ({@link Probes#readBandwidth}).
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx3g -cp casa-bench/target/casa-bench.jar dev.casa.bench.smolvlm.SmolVLMBench \
 *     [threads=2] [runs=3] [answerTokens=32] [modelDir=/tmp/casa-bench-models/smolvlm-256m-random]</pre>
 */
public final class SmolVLMBench {
    static final String PROMPT = "Can you describe this image?";

    private SmolVLMBench() {}

    public static void main(String[] args) throws IOException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int answer = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        Path dir = args.length > 3 ? Path.of(args[3]) : SmolVLMModelGenerator.DEFAULT_OUT;
        if (!Files.exists(dir.resolve("model.safetensors"))) SmolVLMModelGenerator.ensure(SmolVLMModelGenerator.defaultReal(), dir);
        Path photo = photo(dir.resolveSibling("photo_1920x1080.png"));
        System.out.printf("SmolVLM-256M shape, random BF16, %d threads, %d runs, load average %s%n", threads, runs, MachineState.loadAverage());
        try (ThreadPool pool = new ThreadPool(threads); CasaModel model = CasaModel.load(dir, pool)) {
            RgbImage img = ImageDecoder.decode(photo);
            LanguageModel lm = model.languageModel();

            ProcessedImage px = null;
            double[] pre = new double[runs], preCpu = new double[runs];
            var threadCpu = java.lang.management.ManagementFactory.getThreadMXBean();
            model.images().process(img); // warm-up
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime(), c0 = threadCpu.getCurrentThreadCpuTime();
                px = model.images().process(img);
                pre[r] = secs(t0);
                preCpu[r] = (threadCpu.getCurrentThreadCpuTime() - c0) / 1e9;
            }
            EncodedImage enc = null;
            double[] encode = new double[runs], encodeCpu = new double[runs];
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                double c0 = MachineState.processCpuSeconds();
                enc = model.images().encode(px);
                encode[r] = secs(t0);
                encodeCpu[r] = MachineState.processCpuSeconds() - c0;
            }
            Prompt prompt = model.prompt(List.of(enc), PROMPT);
            int[] tokens = prompt.tokens();
            Files.writeString(dir.resolve("prompt_ids.json"), Arrays.toString(tokens)); // for the PyTorch peer
            List<ImageInput> images = List.of(new ImageInput(enc.embeddings(), enc.tokens(), 0));
            double[] prefill = new double[runs], prefillCpu = new double[runs];
            double[] decode = new double[runs];
            // the prefill runs the GEMM path; warm the decode path (GEMV, decode attention) up before timing it
            DecoderState warm = lm.newState(tokens.length + answer + 1);
            float[] warmLogits = lm.forward(warm, model.fusion().input(tokens, images, warm), LogitsMode.LAST);
            for (int i = 0; i < answer; i++) warmLogits = lm.addTokens(warm, new int[] {argmax(warmLogits)}, LogitsMode.LAST);
            for (int r = 0; r < runs; r++) {
                DecoderState state = lm.newState(tokens.length + answer + 1);
                long t0 = System.nanoTime();
                double c0 = MachineState.processCpuSeconds();
                float[] logits = lm.forward(state, model.fusion().input(tokens, images, state), LogitsMode.LAST);
                prefill[r] = secs(t0);
                prefillCpu[r] = MachineState.processCpuSeconds() - c0;
                double[] steps = new double[answer];
                for (int i = 0; i < answer; i++) {
                    int next = argmax(logits);
                    long t1 = System.nanoTime();
                    logits = lm.addTokens(state, new int[] {next}, LogitsMode.LAST);
                    steps[i] = secs(t1);
                }
                decode[r] = median(steps);
            }
            // the bound: weights + the fp32 K/V rows a step attends (mid-answer context), at the read bandwidth
            // measured now on the same threads (the best of 7 passes over 1 GiB), as the Qwen decode bench does
            long weightBytes = decodeBytes(model);
            long kvBytes = kvBytesPerPosition(lm) * (tokens.length + answer / 2);
            long stepBytes = weightBytes + kvBytes;
            Probes.Rate bandwidth = Probes.readBandwidth(pool, 1L << 30, 7);
            double bw = bandwidth.best() * 1e9;
            double p = median(pre), e = median(encode), f = median(prefill), d = median(decode);
            double total = p + e + f + answer * d;
            System.out.printf("image: %s, %d tiles (%dx%d + global), %d image tokens, prompt %d tokens%n",
                    Arrays.toString(px.shape()), enc.tileRows() * enc.tileCols() + 1, enc.tileRows(), enc.tileCols(),
                    enc.tokens(), tokens.length);
            System.out.printf("preprocess   %8.1f ms   (runs %s; thread CPU %.1f ms)%n", p * 1e3, ms(pre), median(preCpu) * 1e3);
            System.out.printf("encode       %8.2f s    (runs %s; process CPU %.2f s)%n", e, Arrays.toString(round(encode)), median(encodeCpu));
            System.out.printf("prefill      %8.2f s    %.1f tok/s (runs %s; process CPU %.2f s)%n", f, tokens.length / f,
                    Arrays.toString(round(prefill)), median(prefillCpu));
            System.out.printf("decode       %8.2f ms/token = %.1f tok/s (runs %s); reads %.0f MB/step (weights %.0f + K/V %.0f): %.1f GB/s,"
                            + " bound %.1f tok/s at %.1f GB/s (read probe, %s) -> %.0f %%%n",
                    d * 1e3, 1 / d, ms(decode), stepBytes / 1e6, weightBytes / 1e6, kvBytes / 1e6, stepBytes / d / 1e9, bw / stepBytes,
                    bw / 1e9, bandwidth, 100 * (1 / d) / (bw / stepBytes));
            System.out.printf("whole answer %8.2f s    (preprocess + encode + prefill + %d decode steps)%n", total, answer);
            System.out.printf("load average after: %s%n", MachineState.loadAverage());
        }
    }

    /** fp32 K and V bytes of one cached position, all layers. */
    static long kvBytesPerPosition(LanguageModel lm) {
        var c = lm.config();
        int heads = c.numAttentionHeads(), kvHeads = c.numKeyValueHeads() != null ? c.numKeyValueHeads() : heads;
        int headDim = c.headDim() != null ? c.headDim() : c.hiddenSize() / heads;
        return 2L * c.numHiddenLayers() * kvHeads * headDim * Float.BYTES;
    }

    /** Bytes one decode step reads: every decoder matrix and the lm_head (the embedding: one row). */
    static long decodeBytes(CasaModel model) {
        long bytes = 0;
        for (String name : model.weights().names()) {
            if (!name.startsWith("model.text_model.") && !name.equals("lm_head.weight")) continue;
            if (name.endsWith("embed_tokens.weight")) continue;
            Tensor t = model.weights().get(name);
            bytes += t.data().byteSize();
        }
        return bytes;
    }

    /** A deterministic photo-like 1920×1080 RGB image (sky gradient, shapes, sensor noise), written once. */
    static Path photo(Path file) throws IOException {
        if (Files.exists(file)) return file;
        int w = 1920, h = 1080;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        SplittableRandom rnd = new SplittableRandom(1080);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sky = y / (double) h;
                int r = (int) (90 + 120 * sky + 30 * Math.sin(x / 97.0));
                int g = (int) (140 + 60 * sky + 25 * Math.cos(y / 53.0));
                int b = (int) (220 - 150 * sky);
                if (Math.hypot(x - 1400, y - 300) < 180) { r = 250; g = 220; b = 120; }
                if (y > 700 + 80 * Math.sin(x / 210.0)) { r = 60 + (x % 37); g = 120 + (y % 23); b = 50; }
                int n = (int) (rnd.nextInt(17) - 8);
                img.setRGB(x, y, (clamp(r + n) << 16) | (clamp(g + n) << 8) | clamp(b + n));
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static int clamp(int v) { return Math.max(0, Math.min(255, v)); }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static double secs(long t0) { return (System.nanoTime() - t0) / 1e9; }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String ms(double[] v) {
        List<String> out = new ArrayList<>();
        for (double x : v) out.add(String.format("%.1f", x * 1e3));
        return out.toString();
    }

    private static double[] round(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.round(v[i] * 100) / 100.0;
        return r;
    }
}
