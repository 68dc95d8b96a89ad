package dev.casa.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every id and decode of the fixtures must equal HF tokenizers' (recorded by make_fixtures.js). */
class TokenizerOracleTest {
    static List<String> names() { return OracleFixtures.NAMES; }

    @ParameterizedTest
    @MethodSource("names")
    void encodeAndDecodeMatchHfTokenizers(String name) {
        Tokenizer tok = OracleFixtures.load(name);
        List<JsonNode> lines = OracleFixtures.expected(name);
        assertEquals(lines.get(0).get("vocab_size").asInt(), tok.vocabSize(), name + ": vocab size");
        int texts = 0;
        for (JsonNode line : lines) {
            if (!line.has("text")) continue;
            texts++;
            String text = line.get("text").asText();
            String what = name + " text " + JsonString.quote(text);
            int[] ids = OracleFixtures.ints(line.get("ids"));
            int[] idsSpecial = OracleFixtures.ints(line.get("ids_special"));
            assertArrayEquals(ids, tok.encode(text, false), what + " (no special tokens)");
            assertArrayEquals(idsSpecial, tok.encode(text, true), what + " (special tokens)");
            assertEquals(line.get("decoded").asText(), tok.decode(idsSpecial, false), what + " decode");
            assertEquals(line.get("decoded_skip").asText(), tok.decode(idsSpecial, true), what + " decode skipping specials");
        }
        assertFalse(texts < 40, name + ": fixture has too few texts");
    }

    @ParameterizedTest
    @MethodSource("names")
    void decodeOfArbitraryIdsMatchesHfTokenizers(String name) {
        Tokenizer tok = OracleFixtures.load(name);
        for (JsonNode line : OracleFixtures.expected(name)) {
            if (!line.has("decode_ids")) continue;
            int[] ids = OracleFixtures.ints(line.get("decode_ids"));
            String what = name + " decode of " + java.util.Arrays.toString(ids);
            assertEquals(line.get("decoded").asText(), tok.decode(ids, false), what);
            assertEquals(line.get("decoded_skip").asText(), tok.decode(ids, true), what + " skipping specials");
        }
    }

    @ParameterizedTest
    @MethodSource("names")
    void streamingDecodeConcatenatesToTheFullDecode(String name) {
        Tokenizer tok = OracleFixtures.load(name);
        for (JsonNode line : OracleFixtures.expected(name)) {
            if (!line.has("text") && !line.has("decode_ids")) continue;
            int[] ids = OracleFixtures.ints(line.has("text") ? line.get("ids_special") : line.get("decode_ids"));
            for (boolean skip : new boolean[] {false, true}) {
                StreamingDecoder stream = tok.streamingDecoder(skip);
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    String chunk = stream.push(id);
                    assertFalse(!chunk.isEmpty() && Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)),
                            name + ": chunk ends inside a surrogate pair");
                    sb.append(chunk);
                }
                sb.append(stream.finish());
                String full = line.get(skip ? "decoded_skip" : "decoded").asText();
                assertEquals(full, sb.toString(), name + " streaming " + java.util.Arrays.toString(ids));
            }
        }
    }
}
