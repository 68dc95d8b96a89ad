package dev.casa.bench.smolvlm;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import dev.casa.family.ModelDirectory;
import dev.casa.family.smolvlm.SmolVLMFiles;
import dev.casa.text.lm.TextConfig;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A SmolVLM-256M-Instruct-shaped model directory with random BF16 weights (never committed): the real
 * published files (config, processor configs, chat template, tokenizer, generation config) copied from
 * {@code ../shared/fixtures/real/smolvlm-256m-instruct} at run time, and a model.safetensors with the real
 * tensor names and shapes that those configs imply (HF {@code Idefics3ForConditionalGeneration}: 256.5 M
 * parameters), streamed chunk by chunk. Matrices ≈ N(0, 0.02), norm weights 1, biases ≈ N(0, 0.02).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.smolvlm.SmolVLMModelGenerator [real=../shared/fixtures/real/smolvlm-256m-instruct] [out=/tmp/casa-bench-models/smolvlm-256m-random]</pre>
 */
public final class SmolVLMModelGenerator {
    public static final Path DEFAULT_OUT = Path.of("/tmp/casa-bench-models/smolvlm-256m-random");

    private SmolVLMModelGenerator() {}

    public static void main(String[] args) throws IOException {
        Path real = args.length > 0 ? Path.of(args[0]) : defaultReal();
        Path out = args.length > 1 ? Path.of(args[1]) : DEFAULT_OUT;
        System.out.println("model directory: " + ensure(real, out));
    }

    /** {@code ../shared/fixtures/real/smolvlm-256m-instruct} from the working directory or a parent. */
    public static Path defaultReal() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            for (Path p : new Path[] {d.resolve("shared/fixtures/real/smolvlm-256m-instruct"),
                    d.resolveSibling("shared").resolve("fixtures/real/smolvlm-256m-instruct")}) {
                if (Files.isDirectory(p)) return p;
            }
        }
        throw new IllegalStateException("../shared/fixtures/real/smolvlm-256m-instruct not found (give its path)");
    }

    /** {@code out}, generated unless it already holds a model.safetensors. */
    public static Path ensure(Path real, Path out) throws IOException {
        Files.createDirectories(out);
        try (Stream<Path> files = Files.list(real)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().endsWith(".json")) Files.copy(f, out.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path weights = out.resolve("model.safetensors");
        if (Files.exists(weights)) return out;
        SmolVLMFiles f = SmolVLMFiles.read(ModelDirectory.open(out, ThreadPool.shared()));
        long t0 = System.nanoTime();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("generator", "casa-bench SmolVLMModelGenerator");
        long params = text(w, f.text()) + vision(w, f.vision()) + connector(w, f);
        Path partial = out.resolve("model.safetensors.partial");
        w.write(partial);
        Files.move(partial, weights, StandardCopyOption.REPLACE_EXISTING);
        System.out.printf("wrote %,d parameters (%.2f GB BF16) in %.1f s%n", params, Files.size(weights) / 1e9, (System.nanoTime() - t0) / 1e9);
        return out;
    }

    private static long text(SafetensorsWriter w, TextConfig t) {
        String p = "model.text_model.";
        int d = t.hiddenSize(), inter = t.intermediateSize();
        long n = random(w, p + "embed_tokens.weight", 0.02, t.vocabSize(), d);
        if (!t.tieWordEmbeddings()) n += random(w, "lm_head.weight", 0.02, t.vocabSize(), d);
        n += constant(w, p + "norm.weight", 1f, d);
        for (int i = 0; i < t.numHiddenLayers(); i++) {
            String l = p + "layers." + i + ".";
            n += constant(w, l + "input_layernorm.weight", 1f, d);
            n += constant(w, l + "post_attention_layernorm.weight", 1f, d);
            n += random(w, l + "self_attn.q_proj.weight", 0.02, t.queryDim(), d);
            n += random(w, l + "self_attn.k_proj.weight", 0.02, t.kvDim(), d);
            n += random(w, l + "self_attn.v_proj.weight", 0.02, t.kvDim(), d);
            n += random(w, l + "self_attn.o_proj.weight", 0.02, d, t.queryDim());
            n += random(w, l + "mlp.gate_proj.weight", 0.02, inter, d);
            n += random(w, l + "mlp.up_proj.weight", 0.02, inter, d);
            n += random(w, l + "mlp.down_proj.weight", 0.02, d, inter);
        }
        return n;
    }

    private static long vision(SafetensorsWriter w, SiglipVisionConfig v) {
        String p = "model.vision_model.";
        int d = v.hiddenSize(), inter = v.intermediateSize(), patch = v.patchSize(), ch = v.numChannels();
        long n = random(w, p + "embeddings.patch_embedding.weight", 1 / Math.sqrt(ch * patch * patch), d, ch, patch, patch);
        n += random(w, p + "embeddings.patch_embedding.bias", 0.02, d);
        n += random(w, p + "embeddings.position_embedding.weight", 0.1, v.numPatches(), d);
        for (int i = 0; i < v.numHiddenLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String norm : new String[] {"layer_norm1", "layer_norm2"}) {
                n += constant(w, l + norm + ".weight", 1f, d);
                n += random(w, l + norm + ".bias", 0.02, d);
            }
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                n += random(w, l + "self_attn." + proj + ".weight", 0.02, d, d);
                n += random(w, l + "self_attn." + proj + ".bias", 0.02, d);
            }
            n += random(w, l + "mlp.fc1.weight", 0.02, inter, d);
            n += random(w, l + "mlp.fc1.bias", 0.02, inter);
            n += random(w, l + "mlp.fc2.weight", 0.02, d, inter);
            n += random(w, l + "mlp.fc2.bias", 0.02, d);
        }
        n += constant(w, p + "post_layernorm.weight", 1f, d);
        n += random(w, p + "post_layernorm.bias", 0.02, d);
        return n;
    }

    private static long connector(SafetensorsWriter w, SmolVLMFiles f) {
        int s = f.top().scaleFactor();
        return random(w, "model.connector.modality_projection.proj.weight", 0.02, f.text().hiddenSize(),
                (long) f.vision().hiddenSize() * s * s);
    }

    /** ≈ N(0, std²): the sum of four 16-bit uniforms from one 64-bit draw, seeded per tensor name. */
    private static long random(SafetensorsWriter w, String name, double std, long... shape) {
        SplittableRandom rnd = new SplittableRandom(0x5EED ^ ((long) name.hashCode() << 17) ^ name.length());
        float scale = (float) (std / Math.sqrt(4.0 / 12.0) / 65536.0);
        float mid = 2f * 65535f;
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> {
            for (int i = 0; i < count; i++) {
                long r = rnd.nextLong();
                int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
                values[i] = (sum - mid) * scale;
            }
        });
        return count(shape);
    }

    private static long constant(SafetensorsWriter w, String name, float value, long... shape) {
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> java.util.Arrays.fill(values, 0, count, value));
        return count(shape);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }
}
