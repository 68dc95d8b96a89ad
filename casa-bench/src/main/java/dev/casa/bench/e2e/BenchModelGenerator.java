package dev.casa.bench.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a random BF16 model directory for the end-to-end benchmarks (never committed): config.json
 * (fusion casa, share_projections true; the benchmarks derive the insertion config from it),
 * model.safetensors streamed chunk by chunk, and bench-spec.sha256. A directory whose hash file
 * matches the spec is reused as is.
 *
 * <p>Values: matrices ≈ N(0, 0.02) (a sum of four uniforms, scaled), norm weights 1, biases
 * ≈ N(0, 0.02), the vision patch/position embeddings scaled to keep LayerNorm inputs O(1):
 * activations stay finite through all 24 layers.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.e2e.BenchModelGenerator [helium2b|small] [dir=/tmp/casa-bench-models]</pre>
 */
public final class BenchModelGenerator {
    public static final Path DEFAULT_ROOT = Path.of("/tmp/casa-bench-models");
    private static final String HASH_FILE = "bench-spec.sha256";

    private BenchModelGenerator() {}

    public static void main(String[] args) throws IOException {
        BenchModelSpec spec = BenchModelSpec.preset(args.length > 0 ? args[0] : "helium2b");
        Path root = args.length > 1 ? Path.of(args[1]) : DEFAULT_ROOT;
        Path dir = ensure(spec, root);
        System.out.println("model directory: " + dir);
    }

    /** The model directory {@code root/<name>} for {@code spec}, generated unless already there. */
    public static Path ensure(BenchModelSpec spec, Path root) throws IOException {
        Path dir = root.resolve(spec.name());
        Path hashFile = dir.resolve(HASH_FILE);
        String hash = spec.hash();
        if (Files.exists(hashFile) && Files.readString(hashFile).trim().equals(hash)
                && Files.exists(dir.resolve("model.safetensors"))) {
            return dir;
        }
        Files.createDirectories(dir);
        Files.deleteIfExists(hashFile);
        long t0 = System.nanoTime();
        System.out.printf("generating %s (%s) ...%n", dir, spec);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("generator", "casa-bench " + hash);
        addTextTensors(w, spec);
        addVisionTensors(w, spec);
        w.write(dir.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper();
        Files.writeString(dir.resolve("config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(spec.configJson("casa")), StandardCharsets.UTF_8);
        Files.writeString(hashFile, hash + "\n");
        System.out.printf("wrote %.2f GB in %.1f s%n", Files.size(dir.resolve("model.safetensors")) / 1e9,
                (System.nanoTime() - t0) / 1e9);
        return dir;
    }

    private static void addTextTensors(SafetensorsWriter w, BenchModelSpec s) {
        String p = "language_model.";
        int d = s.hidden();
        random(w, s, p + "model.embed_tokens.weight", 0.02, 0, s.vocab(), d);
        random(w, s, p + "lm_head.weight", 0.02, 0, s.vocab(), d);
        constant(w, p + "model.norm.weight", 1f, d);
        for (int i = 0; i < s.layers(); i++) {
            String l = p + "model.layers." + i + ".";
            constant(w, l + "input_layernorm.weight", 1f, d);
            constant(w, l + "post_attention_layernorm.weight", 1f, d);
            random(w, s, l + "self_attn.q_proj.weight", 0.02, 0, s.queryDim(), d);
            random(w, s, l + "self_attn.k_proj.weight", 0.02, 0, s.kvDim(), d);
            random(w, s, l + "self_attn.v_proj.weight", 0.02, 0, s.kvDim(), d);
            random(w, s, l + "self_attn.o_proj.weight", 0.02, 0, d, s.queryDim());
            random(w, s, l + "mlp.gate_proj.weight", 0.02, 0, s.intermediate(), d);
            random(w, s, l + "mlp.up_proj.weight", 0.02, 0, s.intermediate(), d);
            random(w, s, l + "mlp.down_proj.weight", 0.02, 0, d, s.intermediate());
        }
    }

    private static void addVisionTensors(SafetensorsWriter w, BenchModelSpec s) {
        String p = "vision_tower.vision_model.";
        int dv = s.visionHidden(), patch = s.patchSize();
        random(w, s, p + "embeddings.patch_embedding.weight", 1 / Math.sqrt(3.0 * patch * patch), 0, dv, 3, patch, patch);
        random(w, s, p + "embeddings.patch_embedding.bias", 0.02, 0, dv);
        random(w, s, p + "embeddings.position_embedding.weight", 0.1, 0, s.imageTokens(), dv);
        for (int i = 0; i < s.visionLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                constant(w, l + n + ".weight", 1f, dv);
                random(w, s, l + n + ".bias", 0.02, 0, dv);
            }
            for (String n : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                random(w, s, l + "self_attn." + n + ".weight", 0.02, 0, dv, dv);
                random(w, s, l + "self_attn." + n + ".bias", 0.02, 0, dv);
            }
            random(w, s, l + "mlp.fc1.weight", 0.02, 0, s.visionIntermediate(), dv);
            random(w, s, l + "mlp.fc1.bias", 0.02, 0, s.visionIntermediate());
            random(w, s, l + "mlp.fc2.weight", 0.02, 0, dv, s.visionIntermediate());
            random(w, s, l + "mlp.fc2.bias", 0.02, 0, dv);
        }
        constant(w, p + "post_layernorm.weight", 1f, dv);
        random(w, s, p + "post_layernorm.bias", 0.02, 0, dv);
        String m = "multi_modal_projector.";
        random(w, s, m + "linear_1.weight", 0.02, 0, s.hidden(), dv);
        random(w, s, m + "linear_1.bias", 0.02, 0, s.hidden());
        random(w, s, m + "linear_2.weight", 0.02, 0, s.hidden(), s.hidden());
        random(w, s, m + "linear_2.bias", 0.02, 0, s.hidden());
    }

    /**
     * ≈ N(center, std²) per element, streamed: the sum of four 16-bit uniforms (Irwin–Hall, variance
     * 4/12) from one 64-bit draw, scaled; seeded per tensor name, so the bytes do not depend on the order.
     */
    private static void random(SafetensorsWriter w, BenchModelSpec s, String name, double std, double center, long... shape) {
        SplittableRandom rnd = new SplittableRandom(s.seed() ^ ((long) name.hashCode() << 17) ^ name.length());
        float scale = (float) (std / Math.sqrt(4.0 / 12.0) / 65536.0);
        float mid = 2f * 65535f;
        float c = (float) center;
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> {
            for (int i = 0; i < count; i++) {
                long r = rnd.nextLong();
                int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
                values[i] = c + (sum - mid) * scale;
            }
        });
    }

    private static void constant(SafetensorsWriter w, String name, float value, long... shape) {
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> java.util.Arrays.fill(values, 0, count, value));
    }
}
