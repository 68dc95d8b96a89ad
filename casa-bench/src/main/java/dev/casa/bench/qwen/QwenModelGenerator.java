package dev.casa.bench.qwen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a random-weight Qwen2.5-VL-3B-Instruct model directory in the hub layout (never committed):
 * <ul>
 *   <li>config.json, preprocessor_config.json and chat_template.jinja: the real files, copied from
 *       {@code ../shared/fixtures/real/qwen2.5-vl-3b-instruct/} when that folder exists, else written from
 *       the published values (the chat template then is the same ChatML structure written here);</li>
 *   <li>{@code model-0000N-of-00002.safetensors} + {@code model.safetensors.index.json}: every tensor of the
 *       hub checkpoint ({@link QwenCheckpoint}) in BF16, sharded as {@code save_pretrained(max_shard_size="4GB")}
 *       does (3.98 GB + 3.53 GB, like the hub files), streamed by {@link SafetensorsWriter};</li>
 *   <li>tokenizer.json ({@link QwenTokenizerWriter}: byte-level BPE, the real special tokens at their real ids),
 *       tokenizer_config.json and generation_config.json with Qwen2.5-VL-3B-Instruct's values.</li>
 * </ul>
 * Values are random with scales that keep activations finite through all layers: matrices N(0, 1/fan_in),
 * the embedding (also the tied lm_head) N(0, 0.02²), norm weights N(1, 0.02²), biases N(0, 0.02²); each
 * tensor seeded by its name. A directory whose {@code generator.sha256} matches is reused as is.
 *
 * <pre>java -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.QwenModelGenerator [--out DIR] [--force true]</pre>
 */
public final class QwenModelGenerator {
    public static final Path DEFAULT_DIR = Path.of("/tmp/casa-bench-models/qwen2.5-vl-3b");
    static final Path SHARED = Path.of("../shared/fixtures/real/qwen2.5-vl-3b-instruct");
    static final Path SHARED_ABSOLUTE = Path.of("/work/shared/fixtures/real/qwen2.5-vl-3b-instruct");
    static final long MAX_SHARD_BYTES = 4_000_000_000L;
    private static final String VERSION = "qwen2.5-vl-3b random bf16 v1";
    private static final String HASH_FILE = "generator.sha256";
    static final String USAGE = "QwenModelGenerator [--out " + DEFAULT_DIR + "] [--force false]";

    private QwenModelGenerator() {}

    public static void main(String[] argv) throws Exception {
        var a = new dev.casa.bench.e2e.Args(argv, java.util.Set.of("out", "force"), USAGE);
        Path dir = Path.of(a.string("out", DEFAULT_DIR.toString()));
        if (Boolean.parseBoolean(a.string("force", "false"))) Files.deleteIfExists(dir.resolve(HASH_FILE));
        ensure(dir);
        System.out.println("model directory: " + dir.toAbsolutePath());
    }

    /** {@code dir}, generated unless a complete generation of the same version is there. */
    public static Path ensure(Path dir) throws IOException {
        Path sharedDir = sharedFolder();
        String hash = hash(sharedDir);
        Path hashFile = dir.resolve(HASH_FILE);
        if (Files.exists(hashFile) && Files.readString(hashFile).trim().equals(hash) && shardsPresent(dir)) return dir;
        Files.createDirectories(dir);
        Files.deleteIfExists(hashFile);
        long t0 = System.nanoTime();
        System.out.println("generating " + dir + " (Qwen2.5-VL-3B shape, random BF16, 7.5 GB) ...");
        writeTextFiles(dir, sharedDir);
        List<QwenCheckpoint.Entry> tensors = QwenCheckpoint.tensors();
        List<List<QwenCheckpoint.Entry>> shards = QwenCheckpoint.shards(tensors, MAX_SHARD_BYTES, 2);
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        ExecutorService writers = Executors.newFixedThreadPool(Math.min(shards.size(), Runtime.getRuntime().availableProcessors()));
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int s = 0; s < shards.size(); s++) {
                String file = shardName(s, shards.size());
                SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
                for (QwenCheckpoint.Entry e : shards.get(s)) {
                    w.addFloats(e.name(), DType.BF16, e.shape(), values(e));
                    weightMap.put(e.name(), file);
                    total += e.elements() * 2;
                }
                done.add(writers.submit(() -> {
                    w.write(dir.resolve(file));
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("writing a shard failed: " + e.getCause(), e.getCause());
        } finally {
            writers.shutdown();
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode index = json.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        Files.writeString(dir.resolve("model.safetensors.index.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        Files.writeString(hashFile, hash + "\n");
        long params = tensors.stream().mapToLong(QwenCheckpoint.Entry::elements).sum();
        System.out.printf("wrote %,d parameters (%,d bytes BF16) in %d shards in %.1f s%n", params, total, shards.size(),
                (System.nanoTime() - t0) / 1e9);
        return dir;
    }

    static String shardName(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    private static boolean shardsPresent(Path dir) {
        int n = QwenCheckpoint.shards(QwenCheckpoint.tensors(), MAX_SHARD_BYTES, 2).size();
        for (int s = 0; s < n; s++) if (!Files.exists(dir.resolve(shardName(s, n)))) return false;
        return Files.exists(dir.resolve("model.safetensors.index.json"));
    }

    /** The real files' folder if present (relative to the checkout, as in CI, or at /work/shared), else null. */
    static Path sharedFolder() {
        for (Path p : new Path[] {SHARED, SHARED_ABSOLUTE}) {
            if (Files.isRegularFile(p.resolve("config.json"))) return p;
        }
        return null;
    }

    private static String hash(Path shared) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(VERSION.getBytes(StandardCharsets.UTF_8));
            md.update((shared == null ? "builtin" : "shared").getBytes(StandardCharsets.UTF_8));
            if (shared != null) {
                for (String f : new String[] {"config.json", "preprocessor_config.json", "chat_template.jinja"}) {
                    if (Files.exists(shared.resolve(f))) md.update(Files.readAllBytes(shared.resolve(f)));
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** ≈ N(mean, std²): the sum of four 16-bit uniforms from one 64-bit draw (Irwin–Hall), scaled; seeded by name. */
    static SafetensorsWriter.FloatSource values(QwenCheckpoint.Entry e) {
        double std = switch (e.init()) {
            case MATRIX -> 1 / Math.sqrt(e.fanIn());
            case EMBEDDING, NORM, BIAS -> 0.02;
        };
        float mean = e.init() == QwenCheckpoint.Init.NORM ? 1f : 0f;
        SplittableRandom rnd = new SplittableRandom(e.name().hashCode() * 0x9E3779B97F4A7C15L + e.name().length());
        float scale = (float) (std / Math.sqrt(4.0 / 12.0) / 65536.0);
        float mid = 2f * 65535f;
        return (first, out, count) -> {
            for (int i = 0; i < count; i++) {
                long r = rnd.nextLong();
                int sum = (int) (r & 0xFFFF) + (int) ((r >>> 16) & 0xFFFF) + (int) ((r >>> 32) & 0xFFFF) + (int) (r >>> 48);
                out[i] = mean + (sum - mid) * scale;
            }
        };
    }

    private static void writeTextFiles(Path dir, Path shared) throws IOException {
        ObjectMapper json = new ObjectMapper();
        if (shared != null) {
            System.out.println("config.json, preprocessor_config.json, chat_template.jinja: copied from " + shared.toAbsolutePath().normalize());
            // Contents only: the shared files are read-only, the generated directory must stay rewritable.
            for (String f : new String[] {"config.json", "preprocessor_config.json", "chat_template.jinja"}) {
                Files.write(dir.resolve(f), Files.readAllBytes(shared.resolve(f)));
            }
        } else {
            System.out.println("no " + SHARED + ": config.json, preprocessor_config.json, chat_template.jinja written from the published values");
            Files.writeString(dir.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(config(json)));
            Files.writeString(dir.resolve("preprocessor_config.json"),
                    json.writerWithDefaultPrettyPrinter().writeValueAsString(preprocessorConfig(json)));
            Files.writeString(dir.resolve("chat_template.jinja"), CHAT_TEMPLATE);
        }
        QwenTokenizerWriter.write(dir.resolve("tokenizer.json"));
        ObjectNode tc = json.createObjectNode();
        tc.put("add_bos_token", false).put("add_prefix_space", false).putNull("bos_token").put("eos_token", "<|im_end|>")
                .put("pad_token", "<|endoftext|>").put("errors", "replace").put("model_max_length", 131072)
                .put("split_special_tokens", false).put("tokenizer_class", "Qwen2Tokenizer").putNull("unk_token")
                .put("clean_up_tokenization_spaces", false);
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(tc));
        // Qwen2.5-VL-3B-Instruct's generation_config.json.
        ObjectNode gc = json.createObjectNode();
        gc.put("bos_token_id", 151643).put("pad_token_id", 151643).put("do_sample", true);
        gc.putArray("eos_token_id").add(151645).add(151643);
        gc.put("repetition_penalty", 1.05).put("temperature", 0.1).put("top_p", 0.001).put("top_k", 1)
                .put("transformers_version", "4.49.0.dev0");
        Files.writeString(dir.resolve("generation_config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(gc));
    }

    /** Qwen2.5-VL-3B-Instruct's config.json (old flat layout), from the published values. */
    static ObjectNode config(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("Qwen2_5_VLForConditionalGeneration");
        c.put("attention_dropout", 0.0).put("bos_token_id", 151643).put("eos_token_id", 151645)
                .put("vision_start_token_id", 151652).put("vision_end_token_id", 151653).put("vision_token_id", 151654)
                .put("image_token_id", 151655).put("video_token_id", 151656).put("hidden_act", "silu")
                .put("hidden_size", QwenCheckpoint.HIDDEN).put("initializer_range", 0.02)
                .put("intermediate_size", QwenCheckpoint.MLP).put("max_position_embeddings", 128000)
                .put("max_window_layers", 70).put("model_type", "qwen2_5_vl").put("num_attention_heads", QwenCheckpoint.HEADS)
                .put("num_hidden_layers", QwenCheckpoint.LAYERS).put("num_key_value_heads", QwenCheckpoint.KV_HEADS)
                .put("rms_norm_eps", 1e-6).put("rope_theta", 1000000.0).put("sliding_window", 32768)
                .put("tie_word_embeddings", true).put("torch_dtype", "bfloat16").put("transformers_version", "4.41.2")
                .put("use_cache", true).put("use_sliding_window", false);
        ObjectNode v = c.putObject("vision_config");
        v.put("depth", QwenCheckpoint.VISION_DEPTH).put("hidden_act", "silu").put("hidden_size", QwenCheckpoint.VISION_WIDTH)
                .put("intermediate_size", QwenCheckpoint.VISION_MLP).put("num_heads", 16).put("in_chans", 3)
                .put("out_hidden_size", QwenCheckpoint.HIDDEN).put("patch_size", QwenCheckpoint.PATCH)
                .put("spatial_merge_size", QwenCheckpoint.MERGE).put("spatial_patch_size", QwenCheckpoint.PATCH)
                .put("window_size", 112);
        v.putArray("fullatt_block_indexes").add(7).add(15).add(23).add(31);
        v.put("tokens_per_second", 2).put("temporal_patch_size", QwenCheckpoint.TEMPORAL);
        ObjectNode rope = c.putObject("rope_scaling");
        rope.put("type", "mrope");
        rope.putArray("mrope_section").add(16).add(24).add(24);
        c.put("vocab_size", QwenCheckpoint.VOCAB);
        return c;
    }

    static ObjectNode preprocessorConfig(ObjectMapper json) {
        ObjectNode p = json.createObjectNode();
        p.put("min_pixels", 3136).put("max_pixels", 12845056).put("patch_size", 14).put("temporal_patch_size", 2)
                .put("merge_size", 2);
        ArrayNode mean = p.putArray("image_mean");
        mean.add(0.48145466).add(0.4578275).add(0.40821073);
        ArrayNode std = p.putArray("image_std");
        std.add(0.26862954).add(0.26130258).add(0.27577711);
        p.put("image_processor_type", "Qwen2VLImageProcessor").put("processor_class", "Qwen2_5_VLProcessor");
        return p;
    }

    /** ChatML with content parts, as Qwen2-VL's processors publish it (without the video and vision-id extras). */
    static final String CHAT_TEMPLATE = """
            {% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system
            You are a helpful assistant.<|im_end|>
            {% endif %}<|im_start|>{{ message['role'] }}
            {% if message['content'] is string %}{{ message['content'] }}<|im_end|>
            {% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content %}\
            <|vision_start|><|image_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>
            {% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
            {% endif %}""";
}
