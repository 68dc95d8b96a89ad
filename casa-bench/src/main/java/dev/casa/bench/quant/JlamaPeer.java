package dev.casa.bench.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Jlama 0.8.4 on the same BF16 safetensors as casa-java, in a child JVM (its jars stay out of casa-bench): the
 * program is {@code casa-bench/peers/jlama}, built with its class path by {@code scripts/setup_quant_peers.sh}
 * into {@code DIR} ({@code DIR/classes}, {@code DIR/classpath.txt}). Jlama has no Helium: the Helium shape runs as
 * {@code llama} (the same weights and work per token; RoPE pairs differently, which costs the same). It needs a
 * tokenizer.json, so the model directory it reads is a sibling holding a link to the weights, its config and a
 * token-only BPE vocabulary. {@code Q4} is Jlama's own 4-bit format, quantized from the BF16 weights at load.
 */
final class JlamaPeer {
    private JlamaPeer() {}

    static QuantDecodeBench.Row run(Path jlama, Path model, LmShape s, String weights, int threads, int context, int warmup,
                                    int tokens, int prompt, int runs) throws IOException, InterruptedException {
        Path dir = prepare(model, s);
        Path directives = jlama.resolve("jlama-inline.json");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-preview", "--enable-native-access=ALL-UNNAMED",
                "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0", "-Xmx12g"));
        if (Files.exists(directives)) {
            cmd.addAll(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:CompilerDirectivesFile=" + directives));
        }
        cmd.addAll(List.of("-cp", jlama.resolve("classes") + ":" + Files.readString(jlama.resolve("classpath.txt")).strip(),
                "dev.casa.peers.JlamaDecode", dir.toString(), weights, Integer.toString(threads), Integer.toString(context),
                Integer.toString(warmup), Integer.toString(tokens), Integer.toString(prompt), Integer.toString(runs)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int status = p.waitFor();
        for (String line : out.lines().toList()) {
            if (line.startsWith("JLAMA decode ")) {
                String[] f = line.split("\\s+");
                double decode = Double.parseDouble(f[2]), prefill = Double.parseDouble(f[4]);
                System.out.printf("Jlama %s: decode %.2f tok/s, prefill %d: %.1f tok/s%n", weights, decode, prompt, prefill);
                return new QuantDecodeBench.Row("Jlama 0.8.4", weights.equals("Q4") ? "Q4 (Jlama's)" : weights, decode, prefill,
                        Double.NaN, Double.NaN, "from the BF16 safetensors");
            }
        }
        String tail = out.lines().filter(l -> !l.startsWith("WARNING")).reduce((a, b) -> b).orElse("");
        throw new IOException("Jlama exited with " + status + " without a result: " + tail);
    }

    /** {@code model}'s sibling {@code <name>-jlama}: config.json as Jlama reads it, tokenizer.json, a link to the weights. */
    static Path prepare(Path model, LmShape s) throws IOException {
        Path dir = model.resolveSibling(model.getFileName() + "-jlama");
        Files.createDirectories(dir);
        Path weights = dir.resolve("model.safetensors");
        if (!Files.exists(weights, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(weights, model.resolve("model.safetensors").toAbsolutePath());
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = s.configJson();
        if (s.modelType().equals("helium")) config.put("model_type", "llama");
        Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
        // Jlama's quantizer copies the model card along with the configs.
        Files.writeString(dir.resolve("README.md"), "Random weights of casa-bench's " + s.name() + " shape.\n");
        Path tokenizer = dir.resolve("tokenizer.json");
        if (!Files.exists(tokenizer)) Files.writeString(tokenizer, json.writeValueAsString(tokenizer(json, s.vocab())));
        return dir;
    }

    /** A BPE tokenizer.json of {@code vocab} plain tokens and no merges: Jlama encodes nothing, it only needs the table. */
    private static ObjectNode tokenizer(ObjectMapper json, int vocab) {
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").put("unk_token", "<unk>").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab; i++) v.put(i < specials.length ? specials[i] : "t" + i, i);
        model.putArray("merges");
        return root;
    }
}
