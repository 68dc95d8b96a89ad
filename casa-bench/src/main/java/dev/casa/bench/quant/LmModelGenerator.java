package dev.casa.bench.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a random BF16 HF text-model directory of an {@link LmShape} (config.json, model.safetensors with HF tensor
 * names, lm-spec.sha256; never committed). A directory whose hash file matches is reused.
 *
 * <p>Values: matrices and biases ≈ N(0, 0.02) (a sum of four 16-bit uniforms, scaled; seeded per tensor name),
 * norm weights 1, as the e2e {@code BenchModelGenerator}.
 */
public final class LmModelGenerator {
    private static final String HASH_FILE = "lm-spec.sha256";

    private LmModelGenerator() {}

    /** {@code root/<shape name>}, generated unless already there. */
    public static Path ensure(LmShape s, Path root) throws IOException {
        Path dir = root.resolve(s.name());
        Path hashFile = dir.resolve(HASH_FILE);
        if (Files.exists(hashFile) && Files.readString(hashFile).trim().equals(s.hash()) && Files.exists(dir.resolve("model.safetensors"))) {
            return dir;
        }
        Files.createDirectories(dir);
        Files.deleteIfExists(hashFile);
        long t0 = System.nanoTime();
        System.out.printf("generating %s (%s) ...%n", dir, s);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("generator", "casa-bench quant " + s.hash());
        int d = s.hidden();
        random(w, s, "model.embed_tokens.weight", s.vocab(), d);
        if (!s.tied()) random(w, s, "lm_head.weight", s.vocab(), d);
        constant(w, "model.norm.weight", d);
        for (int i = 0; i < s.layers(); i++) {
            String l = "model.layers." + i + ".";
            constant(w, l + "input_layernorm.weight", d);
            constant(w, l + "post_attention_layernorm.weight", d);
            random(w, s, l + "self_attn.q_proj.weight", s.queryDim(), d);
            random(w, s, l + "self_attn.k_proj.weight", s.kvDim(), d);
            random(w, s, l + "self_attn.v_proj.weight", s.kvDim(), d);
            if (s.qkvBias()) {
                random(w, s, l + "self_attn.q_proj.bias", s.queryDim());
                random(w, s, l + "self_attn.k_proj.bias", s.kvDim());
                random(w, s, l + "self_attn.v_proj.bias", s.kvDim());
            }
            random(w, s, l + "self_attn.o_proj.weight", d, s.queryDim());
            random(w, s, l + "mlp.gate_proj.weight", s.intermediate(), d);
            random(w, s, l + "mlp.up_proj.weight", s.intermediate(), d);
            random(w, s, l + "mlp.down_proj.weight", d, s.intermediate());
        }
        w.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(s.configJson()), StandardCharsets.UTF_8);
        Files.writeString(hashFile, s.hash() + "\n");
        System.out.printf("wrote %.2f GB in %.1f s%n", Files.size(dir.resolve("model.safetensors")) / 1e9, (System.nanoTime() - t0) / 1e9);
        return dir;
    }

    private static void random(SafetensorsWriter w, LmShape s, String name, long... shape) {
        SplittableRandom rnd = new SplittableRandom(s.seed() ^ ((long) name.hashCode() << 17) ^ name.length());
        float scale = (float) (0.02 / Math.sqrt(4.0 / 12.0) / 65536.0);
        float mid = 2f * 65535f;
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> {
            for (int i = 0; i < count; i++) {
                long r = rnd.nextLong();
                int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
                values[i] = (sum - mid) * scale;
            }
        });
    }

    private static void constant(SafetensorsWriter w, String name, long... shape) {
        w.addFloats(name, DType.BF16, shape, (first, values, count) -> java.util.Arrays.fill(values, 0, count, 1f));
    }
}
