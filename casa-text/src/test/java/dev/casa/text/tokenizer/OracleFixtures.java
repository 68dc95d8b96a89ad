package dev.casa.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

/**
 * The fixtures made by models/tokenizers/make_fixtures.js with HF tokenizers (npm):
 * {@code tokenizers/NAME.tokenizer.json} and {@code NAME.expected.jsonl}.
 */
final class OracleFixtures {
    static final List<String> NAMES = List.of("gpt2", "llama3", "qwen2", "bytelevel_mix", "llama2", "mistral",
            "metaspace_mix", "metaspace_split", "split_mix", "unk_nodecoder", "subword");
    private static final ObjectMapper JSON = new ObjectMapper();

    private OracleFixtures() {}

    static Path tokenizerPath(String name) {
        try {
            return Path.of(OracleFixtures.class.getResource("/tokenizers/" + name + ".tokenizer.json").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tokenizer load(String name) { return Tokenizer.fromFile(tokenizerPath(name)); }

    static List<JsonNode> expected(String name) { return jsonl(name + ".expected.jsonl"); }

    static List<JsonNode> jsonl(String file) {
        try (InputStream in = OracleFixtures.class.getResourceAsStream("/tokenizers/" + file)) {
            List<JsonNode> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) out.add(JSON.readTree(line));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
