package dev.casa.bench.casaqwen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.BenchModelGenerator;
import dev.casa.bench.e2e.BenchModelSpec;
import dev.casa.bench.e2e.MachineState;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;
import dev.casa.core.nn.RmsNorm;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.casa.CasaFamily;
import dev.casa.text.lm.AttentionProjections;
import dev.casa.text.lm.DecoderLayer;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.lm.TextConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Decode with CASA layers vs without, on the same backbone (issue 15 "Speed"): the CASA decoder and the
 * plain decoder (the insertion fusion's: no CASA layers) are fed the same text prompt, then decode the same
 * tokens one step at a time, alternating A/B (ABBA order) so that load drifts hit both alike. Per step: wall
 * time and process CPU time (all pool threads); the ratio of medians is the CASA overhead per token.
 *
 * <p>Then a breakdown of the CASA work of one decode step, each piece timed alone over all CASA layers
 * (the same weights, a window as long as the text): casa_layernorm, the q/k/v projections, RoPE, the copy
 * of the step's K/V row into the window buffer, the attention over the window, o_proj, the ca add; and
 * the plain decoder's pieces for scale. Bytes per piece give GB/s against the ~30 GB/s the 2 cores reach.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx4g -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.casaqwen.CasaDecodeBench [--model 3b|small|helium2b] [--prompt 64] [--steps 32] [--warmup 8]</pre>
 *
 * {@code 3b}/{@code small}: the CASA-Qwen directories of {@link CasaQwenModelGenerator} (own CASA projections;
 * the baseline is the insertion directory); {@code helium2b}: the end-to-end bench model of
 * {@link BenchModelGenerator} ({@code share_projections: true}; the baseline is the same tensors with
 * {@code fusion: insertion}).
 */
public final class CasaDecodeBench {
    static final String USAGE = """
            CasaDecodeBench [--model 3b|small|helium2b] [--root /tmp/casa-bench-models] [--prompt 64] [--steps 32]
                            [--warmup 8] [--reps 7] [--threads N] [--chat-template PATH]""";
    private static final String LAYERS = "language_model.model.layers.";

    private CasaDecodeBench() {}

    /** A decoder and the store it reads. */
    private record Decoder(String name, LanguageModel lm, TensorStore store, CasaFamily.Configs configs, double weightBytes) {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "root", "prompt", "steps", "warmup", "reps", "threads", "chat-template"), USAGE);
        String preset = a.string("model", "3b");
        Path root = Path.of(a.string("root", CasaQwenModelGenerator.DEFAULT_ROOT.toString()));
        int prompt = a.integer("prompt", 64), steps = a.integer("steps", 32), warmup = a.integer("warmup", 8), reps = a.integer("reps", 7);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        if (prompt < 1 || steps < 2 || warmup < 0 || reps < 1) throw new IllegalArgumentException("need --prompt >= 1, --steps >= 2, --reps >= 1");

        Path casaDir, baseDir;
        if (preset.equals("helium2b")) {
            casaDir = BenchModelGenerator.ensure(BenchModelSpec.helium2b(), BenchModelGenerator.DEFAULT_ROOT);
            baseDir = casaDir;
        } else {
            CasaQwenModelGenerator.Dirs dirs = CasaQwenModelGenerator.ensure(CasaQwenSpec.preset(preset), root,
                    Path.of(a.string("chat-template", CasaQwenModelGenerator.DEFAULT_TEMPLATE.toString())));
            casaDir = dirs.casa();
            baseDir = dirs.insertion();
        }
        String load0 = MachineState.loadAverage();
        System.out.printf("decode with vs without CASA layers: %s, prompt %d text tokens, %d steps each (after %d warm-up), "
                + "%d threads; %s; load %s%n", casaDir, prompt, steps, warmup, threads, MachineState.cpuModel(), load0);
        try (ThreadPool pool = new ThreadPool(threads)) {
            Decoder casa = open(casaDir, "casa", pool);
            Decoder base = open(baseDir, "insertion", pool);
            try {
                abDecode(casa, base, prompt, steps, warmup);
                breakdown(casa, base, prompt + warmup + steps, reps, pool);
            } finally {
                casa.store().close();
                if (base.store() != casa.store()) base.store().close();
            }
        }
        System.out.printf("load average start %s, end %s%n", load0, MachineState.loadAverage());
    }

    /** The language model of a casa-format directory with {@code fusion} forced (CASA layers or none). */
    private static Decoder open(Path dir, String fusion, ThreadPool pool) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(Files.readString(dir.resolve("config.json")));
        config.put("fusion", fusion);
        if (fusion.equals("insertion")) config.remove("casa_config");
        JsonConfig c = JsonConfig.parse(json.writeValueAsString(config), dir.resolve("config.json") + " (fusion=" + fusion + ")");
        CasaFamily.Configs cfg = CasaFamily.configs(c);
        TensorStore store = ModelWeights.open(dir);
        LanguageModel lm = CasaFamily.languageModel(cfg, store, pool);
        return new Decoder(fusion, lm, store, cfg, weightBytes(lm));
    }

    /** Matrix bytes a decode step reads: every layer's, the CASA layers' (o_proj again when shared), lm_head. */
    private static double weightBytes(LanguageModel lm) {
        double bytes = lm.weights().lmHead().data().byteSize();
        for (DecoderLayer l : lm.weights().layers()) {
            AttentionProjections s = l.selfAttn();
            bytes += s.q().weight().data().byteSize() + s.k().weight().data().byteSize() + s.v().weight().data().byteSize() + s.o().weight().data().byteSize();
            bytes += l.mlp().gate().weight().data().byteSize() + l.mlp().up().weight().data().byteSize() + l.mlp().down().weight().data().byteSize();
        }
        if (lm.casaLayers() != null) {
            // own q/k/v/o; with shared projections the CASA attention reuses q and the cached K/V but runs o_proj again
            TextConfig t = lm.config();
            long per = lm.casaLayers().shareProjections() ? (long) t.queryDim() * t.hiddenSize()
                    : 2L * t.queryDim() * t.hiddenSize() + 2L * t.kvDim() * t.hiddenSize();
            bytes += (double) lm.casaLayers().count() * per * lm.weights().lmHead().dtype().byteSize();
        }
        return bytes;
    }

    private static void abDecode(Decoder casa, Decoder base, int prompt, int steps, int warmup) {
        TextConfig t = casa.lm().config();
        int vocab = Math.min(t.vocabSize(), 151643);
        SplittableRandom rnd = new SplittableRandom(2025);
        int[] ids = new int[prompt + warmup + steps];
        for (int i = 0; i < ids.length; i++) ids[i] = 10 + rnd.nextInt(vocab - 10);
        Decoder[] ds = {casa, base};
        DecoderState[] states = new DecoderState[2];
        for (int k = 0; k < 2; k++) {
            states[k] = ds[k].lm().newState(ids.length + 8);
            long t0 = System.nanoTime();
            ds[k].lm().addTokens(states[k], Arrays.copyOf(ids, prompt), LogitsMode.LAST);
            System.out.printf("  %s: prefill of %d tokens %.2f s%n", ds[k].name(), prompt, (System.nanoTime() - t0) / 1e9);
        }
        double[][] wall = new double[2][steps], cpu = new double[2][steps];
        for (int i = prompt; i < ids.length; i++) {
            int m = i - prompt - warmup;
            // ABBA: casa first on even steps, the baseline first on odd ones
            for (int j = 0; j < 2; j++) {
                int k = (i % 2 == 0) ? j : 1 - j;
                double c0 = MachineState.threadsCpuSeconds();
                long t0 = System.nanoTime();
                float[] logits = ds[k].lm().addTokens(states[k], new int[] {ids[i]}, LogitsMode.LAST);
                long t1 = System.nanoTime();
                double c1 = MachineState.threadsCpuSeconds();
                if (!Float.isFinite(logits[0])) throw new IllegalStateException(ds[k].name() + ": non-finite logits");
                if (m >= 0) {
                    wall[k][m] = (t1 - t0) / 1e6;
                    cpu[k][m] = (c1 - c0) * 1e3;
                }
            }
        }
        System.out.printf("%nA/B decode after the same %d text tokens (context %d..%d; CASA window = window -1 over all the text):%n",
                prompt, prompt + warmup, ids.length - 1);
        System.out.println("| decoder | matrix bytes/step | median ms/step (wall) | min | tok/s | GB/s (weights) | median CPU ms/step | cores |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (int k = 0; k < 2; k++) {
            double med = median(wall[k]), mc = median(cpu[k]);
            System.out.printf(Locale.ROOT, "| %s | %.2f GB | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |%n", ds[k].name(),
                    ds[k].weightBytes() / 1e9, med, min(wall[k]), 1e3 / med, ds[k].weightBytes() / med / 1e6, mc, mc / med);
        }
        double r = median(wall[0]) / median(wall[1]), rc = median(cpu[0]) / median(cpu[1]);
        double[] perStep = new double[steps];
        for (int m = 0; m < steps; m++) perStep[m] = wall[0][m] / wall[1][m];
        System.out.printf(Locale.ROOT, "CASA / plain per token: %+.1f %% (ratio of wall medians), %+.1f %% (median of per-step ratios), "
                        + "%+.1f %% (CPU time); matrix bytes read %+.1f %%%n", 100 * (r - 1), 100 * (median(perStep) - 1), 100 * (rc - 1),
                100 * (casa.weightBytes() / base.weightBytes() - 1));
    }

    /** Times each piece of a decode step alone, summed over the layers, median of {@code reps}. */
    private static void breakdown(Decoder casa, Decoder base, int windowKeys, int reps, ThreadPool pool) {
        LanguageModel lm = casa.lm();
        TextConfig t = lm.config();
        if (lm.casaLayers() == null) return;
        int layers = t.numHiddenLayers(), d = t.hiddenSize(), qd = t.queryDim(), kvd = t.kvDim();
        boolean share = lm.casaLayers().shareProjections();
        TensorBinder b = new TensorBinder(casa.store());
        List<RmsNorm> norms = new ArrayList<>();
        List<AttentionProjections> projections = new ArrayList<>();
        List<Integer> casaLayers = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            if (!lm.casaLayers().isCasaLayer(l)) continue;
            casaLayers.add(l);
            DecoderLayer self = lm.weights().layer(l);
            norms.add(share ? self.inputLayernorm() : b.rmsNorm(LAYERS + l + ".casa_layernorm.weight", d, t.rmsNormEps()));
            projections.add(share ? self.selfAttn() : AttentionProjections.bindLike(b, LAYERS + l + ".casa_attn.", t));
        }
        int n = casaLayers.size();
        SplittableRandom rnd = new SplittableRandom(5);
        float[] h = randoms(rnd, d), x = new float[d], q = new float[qd], k = new float[kvd], v = new float[kvd];
        float[] att = new float[qd], out = new float[d];
        float[][] wk = new float[n][], wv = new float[n][];
        for (int i = 0; i < n; i++) {
            wk[i] = randoms(rnd, (windowKeys + 1) * kvd);
            wv[i] = randoms(rnd, (windowKeys + 1) * kvd);
        }
        RotaryEmbedding rope = t.rotaryEmbedding();
        int half = t.headDim() / 2;
        float[] cos = new float[half], sin = new float[half];
        int[] pos = new int[rope.axes()];
        Arrays.fill(pos, windowKeys);
        rope.table(pos, 0, 1, cos, sin, 0);
        float scale = (float) (1 / Math.sqrt(t.headDim()));
        AttentionMask mask = AttentionMask.window(0, windowKeys + 1, 1);
        int heads = t.numAttentionHeads(), kvHeads = t.numKeyValueHeads(), hd = t.headDim();
        double attnBytes = 2.0 * (windowKeys + 1) * kvd * 4 * n;

        System.out.printf("%nCASA work of one decode step, each piece alone over the %d CASA layers (%s projections, window of %d text keys), "
                + "median of %d:%n", n, share ? "shared" : "own", windowKeys + 1, reps);
        System.out.println("| piece | ms/step (wall) | CPU ms/step | bytes read | GB/s |");
        System.out.println("|---|---:|---:|---:|---:|");
        double total = 0;
        total += piece("casa_layernorm (1 row)", reps, 4.0 * d * n, () -> { for (RmsNorm nm : norms) nm.forward(h, 1, x); });
        if (!share) {
            total += piece("q/k/v projections (GEMV)", reps, bytes(projections, true), () -> {
                for (AttentionProjections p : projections) {
                    p.q().forward(pool, x, 1, q);
                    p.k().forward(pool, x, 1, k);
                    p.v().forward(pool, x, 1, v);
                }
            });
            total += piece("RoPE of q and k", reps, 0, () -> {
                for (int i = 0; i < n; i++) {
                    rope.rotateRows(q, 0, qd, 1, heads, cos, sin, 0);
                    rope.rotateRows(k, 0, kvd, 1, kvHeads, cos, sin, 0);
                }
            });
        }
        total += piece("K/V row copy into the window", reps, 2.0 * kvd * 4 * n, () -> {
            for (int i = 0; i < n; i++) {
                System.arraycopy(k, 0, wk[i], windowKeys * kvd, kvd);
                System.arraycopy(v, 0, wv[i], windowKeys * kvd, kvd);
            }
        });
        total += piece("attention over the window", reps, attnBytes, () -> {
            for (int i = 0; i < n; i++) {
                Attention.attend(pool, q, 0, qd, 1, heads, hd, wk[i], 0, wv[i], 0, kvd, windowKeys + 1, kvHeads, mask, scale, att, 0, qd);
            }
        });
        total += piece("o_proj (GEMV)", reps, bytes(projections, false), () -> {
            for (AttentionProjections p : projections) p.o().forward(pool, att, 1, out);
        });
        total += piece("h += ca", reps, 0, () -> { for (int i = 0; i < n; i++) VectorMath.add(h, 0, out, 0, d); });
        System.out.printf(Locale.ROOT, "| **sum of the CASA pieces** | **%.1f** | | | |%n", total);

        // Attaching one 448x448 frame (16x16 merged grid = 256 image keys) to every CASA layer.
        int grid = 16, keys = grid * grid;
        float[] img = randoms(rnd, keys * d), imgNorm = new float[keys * d];
        float[] ik = new float[keys * kvd], iv = new float[keys * kvd];
        float[] kc = new float[keys * half], ks = new float[keys * half];
        int start = windowKeys;
        System.out.printf("%nCASA image attach of one frame (%d image keys, M-RoPE grid %dx%d), each piece alone over the %d CASA layers:%n",
                keys, grid, grid, n);
        System.out.println("| piece | ms/frame (wall) | CPU ms/frame | bytes read | GB/s |");
        System.out.println("|---|---:|---:|---:|---:|");
        piece("casa_layernorm (256 rows)", reps, 0, () -> { for (RmsNorm nm : norms) nm.forward(img, keys, imgNorm); });
        if (!share) {
            double kvBytes = 0;
            for (AttentionProjections p : projections) kvBytes += p.k().weight().data().byteSize() + p.v().weight().data().byteSize();
            piece("k/v projections (GEMM, M = 256)", reps, kvBytes, () -> {
                for (AttentionProjections p : projections) {
                    p.k().forward(pool, imgNorm, keys, ik);
                    p.v().forward(pool, imgNorm, keys, iv);
                }
            });
        }
        int[] p3 = new int[rope.axes()];
        piece("key RoPE, cos/sin per key in every layer (before)", reps, 0, () -> {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < keys; j++) {
                    Arrays.fill(p3, start);
                    if (p3.length == 3) {
                        p3[1] += j / grid;
                        p3[2] += j % grid;
                    }
                    rope.table(p3, 0, 1, cos, sin, 0);
                    rope.rotate(ik, j * kvd, kvHeads, cos, sin, 0);
                }
            }
        });
        piece("key RoPE, cos/sin once per frame (now)", reps, 0, () -> {
            for (int j = 0; j < keys; j++) {
                Arrays.fill(p3, start);
                if (p3.length == 3) {
                    p3[1] += j / grid;
                    p3[2] += j % grid;
                }
                rope.table(p3, 0, 1, kc, ks, j * half);
            }
            for (int i = 0; i < n; i++) rope.rotateRows(ik, 0, kvd, keys, kvHeads, kc, ks, 0);
        });

        // the plain decoder's step, the same way, for scale
        LanguageModel plain = base.lm();
        float[] gate = new float[t.intermediateSize()], up = new float[t.intermediateSize()];
        List<DecoderLayer> ls = plain.weights().layers();
        System.out.println("\nThe plain decoder's matrices in one decode step, each group alone over all layers, for scale:");
        System.out.println("| piece | ms/step (wall) | CPU ms/step | bytes read | GB/s |");
        System.out.println("|---|---:|---:|---:|---:|");
        double plainTotal = 0;
        List<AttentionProjections> selfProj = ls.stream().map(DecoderLayer::selfAttn).toList();
        plainTotal += piece("self q/k/v (GEMV)", reps, bytes(selfProj, true), () -> {
            for (AttentionProjections p : selfProj) {
                p.q().forward(pool, x, 1, q);
                p.k().forward(pool, x, 1, k);
                p.v().forward(pool, x, 1, v);
            }
        });
        plainTotal += piece("self o_proj (GEMV)", reps, bytes(selfProj, false), () -> {
            for (AttentionProjections p : selfProj) p.o().forward(pool, att, 1, out);
        });
        double mlpBytes = 0;
        for (DecoderLayer l : ls) mlpBytes += l.mlp().gate().weight().data().byteSize() + l.mlp().up().weight().data().byteSize() + l.mlp().down().weight().data().byteSize();
        plainTotal += piece("MLP gate/up/down (GEMV)", reps, mlpBytes, () -> {
            for (DecoderLayer l : ls) {
                l.mlp().gate().forward(pool, x, 1, gate);
                l.mlp().up().forward(pool, x, 1, up);
                l.mlp().down().forward(pool, gate, 1, out);
            }
        });
        float[] logits = new float[t.vocabSize()];
        plainTotal += piece("lm_head (GEMV)", reps, plain.weights().lmHead().data().byteSize(), () ->
                Matmul.matmul(pool, x, 0, 1, plain.weights().lmHead(), null, logits, 0));
        System.out.printf(Locale.ROOT, "| **sum of the plain matrices** | **%.1f** | | | |%n", plainTotal);
        System.out.printf(Locale.ROOT, "CASA pieces / plain matrices: %+.1f %%%n", 100 * total / plainTotal);
    }

    private static double bytes(List<AttentionProjections> ps, boolean qkv) {
        double b = 0;
        for (AttentionProjections p : ps) {
            b += qkv ? p.q().weight().data().byteSize() + p.k().weight().data().byteSize() + p.v().weight().data().byteSize() : p.o().weight().data().byteSize();
        }
        return b;
    }

    /** Runs {@code body} 2 times to warm up, then {@code reps} times; prints and returns the median wall ms. */
    private static double piece(String name, int reps, double bytes, Runnable body) {
        body.run();
        body.run();
        double[] wall = new double[reps], cpu = new double[reps];
        for (int r = 0; r < reps; r++) {
            double c0 = MachineState.threadsCpuSeconds();
            long t0 = System.nanoTime();
            body.run();
            wall[r] = (System.nanoTime() - t0) / 1e6;
            cpu[r] = (MachineState.threadsCpuSeconds() - c0) * 1e3;
        }
        double med = median(wall);
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %s | %s |%n", name, med, median(cpu),
                bytes > 0 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6) : "",
                bytes > 0 ? String.format(Locale.ROOT, "%.1f", bytes / med / 1e6) : "");
        return med;
    }

    private static float[] randoms(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() - 0.5);
        return a;
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }
}
