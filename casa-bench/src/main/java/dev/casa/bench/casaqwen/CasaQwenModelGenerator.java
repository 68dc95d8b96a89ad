package dev.casa.bench.casaqwen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes a random-weight CASA-Qwen2.5-VL model in our casa format (casa-qwen.md §1–3), never committed:
 * {@code root/<name>/casa/} with {@code fusion: casa}, and {@code root/<name>/insertion/}, the same
 * vision and language-model shards (hard links, so the page cache holds them once) with
 * {@code fusion: insertion} and no CASA tensors: plain Qwen2.5-VL on the same weights.
 *
 * <p>Layout: {@code visual.*} exactly as Qwen2.5-VL checkpoints, {@code language_model.model.*} a Qwen2
 * decoder with q/k/v biases and tied embeddings (no lm_head), CASA layers ({@code casa_layernorm},
 * {@code casa_attn.{q,k,v,o}_proj} with q/k/v biases) in every layer, all BF16. Sharded: the tower in one
 * file, the decoder in four, the CASA tensors in {@code casa-layers.safetensors} (listed only by the casa
 * directory's index). Each shard is streamed with {@link SafetensorsWriter#addFloats}. Beside the weights:
 * Qwen2.5-VL-3B's preprocessor_config.json values, its chat template, a byte-level tokenizer.json with the
 * Qwen special tokens at their real ids ({@link ByteTokenizerWriter}), tokenizer_config.json and
 * generation_config.json.
 *
 * <p>Values: matrices ≈ N(0, 0.02²), biases ≈ N(0, 0.02²), norm weights 1, the patch embedding
 * N(0, 1/1176): activations stay O(1) through the 32 tower blocks and the 36 decoder layers.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp casa-bench/target/casa-bench.jar \
 *     dev.casa.bench.casaqwen.CasaQwenModelGenerator [3b|small] [root=/tmp/casa-bench-models] [chat_template.jinja]</pre>
 */
public final class CasaQwenModelGenerator {
    public static final Path DEFAULT_ROOT = Path.of("/tmp/casa-bench-models");
    /** Qwen2.5-VL-3B-Instruct's published chat template (the project's shared fixtures). */
    public static final Path DEFAULT_TEMPLATE = Path.of("/work/shared/fixtures/real/qwen2.5-vl-3b-instruct/chat_template.jinja");
    static final String CASA_SHARD = "casa-layers.safetensors";
    private static final String HASH_FILE = "bench-spec.sha256";
    private static final int LM_SHARDS = 4;

    /** Qwen2.5-VL-3B-Instruct's preprocessor_config.json values (../shared/fixtures/real/qwen2.5-vl-3b-instruct). */
    static final String PREPROCESSOR = """
            {
              "min_pixels": 3136,
              "max_pixels": 12845056,
              "patch_size": 14,
              "temporal_patch_size": 2,
              "merge_size": 2,
              "image_mean": [0.48145466, 0.4578275, 0.40821073],
              "image_std": [0.26862954, 0.26130258, 0.27577711],
              "image_processor_type": "Qwen2VLImageProcessor",
              "processor_class": "Qwen2_5_VLProcessor"
            }
            """;

    /** The two model directories of a spec. */
    public record Dirs(Path casa, Path insertion) {
        public Path of(String fusion) {
            return switch (fusion) {
                case "casa" -> casa;
                case "insertion" -> insertion;
                default -> throw new IllegalArgumentException("fusion must be casa or insertion, got '" + fusion + "'");
            };
        }
    }

    private CasaQwenModelGenerator() {}

    public static void main(String[] args) throws IOException {
        CasaQwenSpec spec = CasaQwenSpec.preset(args.length > 0 ? args[0] : "3b");
        Path root = args.length > 1 ? Path.of(args[1]) : DEFAULT_ROOT;
        Path template = args.length > 2 ? Path.of(args[2]) : DEFAULT_TEMPLATE;
        Dirs dirs = ensure(spec, root, template);
        System.out.println("CASA model directory:      " + dirs.casa());
        System.out.println("insertion model directory: " + dirs.insertion());
    }

    /** The directories {@code root/<name>/{casa,insertion}} for {@code spec}, generated unless already there. */
    public static Dirs ensure(CasaQwenSpec spec, Path root, Path chatTemplate) throws IOException {
        Path base = root.resolve(spec.name());
        Dirs dirs = new Dirs(base.resolve("casa"), base.resolve("insertion"));
        Path hashFile = base.resolve(HASH_FILE);
        String hash = spec.hash();
        if (Files.exists(hashFile) && Files.readString(hashFile).trim().equals(hash)) return dirs;
        if (!Files.isRegularFile(chatTemplate)) {
            throw new IOException(chatTemplate + ": Qwen2.5-VL's chat_template.jinja not found (give its path as the template argument)");
        }
        Files.deleteIfExists(hashFile);
        Files.createDirectories(dirs.casa());
        Files.createDirectories(dirs.insertion());
        long t0 = System.nanoTime();
        System.out.printf("generating %s (%s) ...%n", base, spec.name());

        // shard file -> tensors it holds, in the order written
        Map<String, List<String>> shards = new LinkedHashMap<>();
        int lmShards = Math.min(LM_SHARDS, spec.layers());
        int total = 1 + lmShards;
        writeShard(dirs.casa(), shardName(1, total), hash, shards, w -> addVision(w, spec));
        for (int s = 0; s < lmShards; s++) {
            int from = spec.layers() * s / lmShards, to = spec.layers() * (s + 1) / lmShards;
            boolean first = s == 0;
            writeShard(dirs.casa(), shardName(2 + s, total), hash, shards, w -> addDecoder(w, spec, from, to, first));
        }
        writeShard(dirs.casa(), CASA_SHARD, hash, shards, w -> addCasa(w, spec));

        ObjectMapper json = new ObjectMapper();
        for (String fusion : List.of("casa", "insertion")) {
            Path dir = dirs.of(fusion);
            Map<String, String> weightMap = new LinkedHashMap<>();
            long size = 0;
            for (Map.Entry<String, List<String>> e : shards.entrySet()) {
                if (fusion.equals("insertion") && e.getKey().equals(CASA_SHARD)) continue;
                for (String name : e.getValue()) weightMap.put(name, e.getKey());
                size += Files.size(dirs.casa().resolve(e.getKey()));
                if (fusion.equals("insertion")) link(dirs.casa().resolve(e.getKey()), dir.resolve(e.getKey()));
            }
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", size);
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            Files.writeString(dir.resolve("model.safetensors.index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
            Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(spec.configJson(fusion)));
            Files.writeString(dir.resolve("preprocessor_config.json"), PREPROCESSOR);
            Files.copy(chatTemplate, dir.resolve("chat_template.jinja"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(dir.resolve("tokenizer_config.json"), """
                    {"bos_token": null, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "tokenizer_class": "Qwen2Tokenizer"}
                    """);
            Files.writeString(dir.resolve("generation_config.json"), """
                    {"bos_token_id": %d, "eos_token_id": [%d, %d], "pad_token_id": %d}
                    """.formatted(CasaQwenSpec.ENDOFTEXT, CasaQwenSpec.IM_END, CasaQwenSpec.ENDOFTEXT, CasaQwenSpec.ENDOFTEXT));
            ByteTokenizerWriter.write(dir.resolve("tokenizer.json"));
        }
        Files.writeString(hashFile, hash + "\n", StandardCharsets.UTF_8);
        long bytes = 0;
        for (String shard : shards.keySet()) bytes += Files.size(dirs.casa().resolve(shard));
        System.out.printf("wrote %.2f GB (%d shards) in %.1f s%n", bytes / 1e9, shards.size(), (System.nanoTime() - t0) / 1e9);
        return dirs;
    }

    private static String shardName(int i, int n) {
        return String.format("model-%05d-of-%05d.safetensors", i, n);
    }

    /** A hard link (the same inode, so one page cache), else a symbolic link. */
    private static void link(Path target, Path link) throws IOException {
        Files.deleteIfExists(link);
        try {
            Files.createLink(link, target);
        } catch (IOException | UnsupportedOperationException e) {
            Files.createSymbolicLink(link, target.toAbsolutePath());
        }
    }

    /** Tensors added through one writer, recorded for the index. */
    private static final class Shard {
        final SafetensorsWriter writer;
        final List<String> names = new ArrayList<>();
        final long seed;

        Shard(SafetensorsWriter writer, long seed) {
            this.writer = writer;
            this.seed = seed;
        }

        /** ≈ N(0, std²) per element, seeded per tensor name (the bytes do not depend on the order). */
        void random(String name, double std, long... shape) {
            names.add(name);
            SplittableRandom rnd = new SplittableRandom(seed ^ ((long) name.hashCode() << 17) ^ name.length());
            // Irwin–Hall: the sum of four 16-bit uniforms from one draw has variance 4/12 (in units of 2^16).
            float scale = (float) (std / Math.sqrt(4.0 / 12.0) / 65536.0);
            float mid = 2f * 65535f;
            writer.addFloats(name, DType.BF16, shape, (first, values, count) -> {
                for (int i = 0; i < count; i++) {
                    long r = rnd.nextLong();
                    int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
                    values[i] = (sum - mid) * scale;
                }
            });
        }

        void ones(String name, long... shape) {
            names.add(name);
            writer.addFloats(name, DType.BF16, shape, (first, values, count) -> java.util.Arrays.fill(values, 0, count, 1f));
        }

        /** weight [out, in] and, when {@code bias}, bias [out]. */
        void linear(String prefix, int out, int in, boolean bias) {
            random(prefix + ".weight", 0.02, out, in);
            if (bias) random(prefix + ".bias", 0.02, out);
        }
    }

    private static void writeShard(Path dir, String file, String hash, Map<String, List<String>> shards,
                                   Consumer<Shard> content) throws IOException {
        long t0 = System.nanoTime();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("generator", "casa-bench casaqwen " + hash);
        Shard s = new Shard(w, hash.hashCode());
        content.accept(s);
        w.write(dir.resolve(file));
        shards.put(file, List.copyOf(s.names));
        System.out.printf("  %s: %d tensors, %.2f GB, %.1f s%n", file, s.names.size(), Files.size(dir.resolve(file)) / 1e9,
                (System.nanoTime() - t0) / 1e9);
    }

    /** {@code visual.*} as in Qwen2.5-VL checkpoints. */
    private static void addVision(Shard s, CasaQwenSpec spec) {
        int d = spec.visionHidden(), inter = spec.visionIntermediate(), wide = d * 4;
        s.random("visual.patch_embed.proj.weight", 1 / Math.sqrt(3 * 2 * 14 * 14), d, 3, 2, 14, 14);
        for (int i = 0; i < spec.visionDepth(); i++) {
            String b = "visual.blocks." + i + ".";
            s.ones(b + "norm1.weight", d);
            s.ones(b + "norm2.weight", d);
            s.linear(b + "attn.qkv", 3 * d, d, true);
            s.linear(b + "attn.proj", d, d, true);
            s.linear(b + "mlp.gate_proj", inter, d, true);
            s.linear(b + "mlp.up_proj", inter, d, true);
            s.linear(b + "mlp.down_proj", d, inter, true);
        }
        s.ones("visual.merger.ln_q.weight", d);
        s.linear("visual.merger.mlp.0", wide, wide, true);
        s.linear("visual.merger.mlp.2", spec.hidden(), wide, true);
    }

    /** Decoder layers [from, to) under {@code language_model.model.}; the embeddings and final norm with the first shard. */
    private static void addDecoder(Shard s, CasaQwenSpec spec, int from, int to, boolean first) {
        String p = "language_model.model.";
        int d = spec.hidden();
        if (first) {
            s.random(p + "embed_tokens.weight", 0.02, spec.vocab(), d);
            s.ones(p + "norm.weight", d);
        }
        for (int i = from; i < to; i++) {
            String l = p + "layers." + i + ".";
            s.ones(l + "input_layernorm.weight", d);
            s.ones(l + "post_attention_layernorm.weight", d);
            attention(s, spec, l + "self_attn.");
            s.linear(l + "mlp.gate_proj", spec.intermediate(), d, false);
            s.linear(l + "mlp.up_proj", spec.intermediate(), d, false);
            s.linear(l + "mlp.down_proj", d, spec.intermediate(), false);
        }
    }

    /** CASA layers in every decoder layer (casa-qwen.md §3). */
    private static void addCasa(Shard s, CasaQwenSpec spec) {
        for (int i = 0; i < spec.layers(); i++) {
            String l = "language_model.model.layers." + i + ".";
            s.ones(l + "casa_layernorm.weight", spec.hidden());
            attention(s, spec, l + "casa_attn.");
        }
    }

    /** Qwen2 attention projections: q/k/v with biases, o without. */
    private static void attention(Shard s, CasaQwenSpec spec, String prefix) {
        int d = spec.hidden();
        s.linear(prefix + "q_proj", spec.queryDim(), d, true);
        s.linear(prefix + "k_proj", spec.kvDim(), d, true);
        s.linear(prefix + "v_proj", spec.kvDim(), d, true);
        s.linear(prefix + "o_proj", d, spec.queryDim(), false);
    }
}
