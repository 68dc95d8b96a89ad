package dev.casa.text.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text and files that are not what they should be: lone surrogates, FIFOs, devices, huge files. */
class TokenizerUntrustedInputTest {

    /** Issue 13: "ab\uD83Dcd" became "ab?cd" silently (UTF-8 encoding of a lone surrogate). */
    @Test
    void loneSurrogatesInTextAreRejectedNamingTheIndex() {
        for (String name : List.of("gpt2", "llama2")) {
            Tokenizer tok = OracleFixtures.load(name);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encode("Hello\ud83dcd", false));
            assertEquals("text to tokenize has a lone surrogate U+D83D at index 5: not valid Unicode (HF tokenizers cannot take it either)",
                    e.getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> tok.encode("\ude00x", true)).getMessage()
                    .contains("lone surrogate U+DE00 at index 0"));
            // A low surrogate before its high one is two lone surrogates, not a pair.
            assertTrue(assertThrows(IllegalArgumentException.class, () -> tok.encode("a\ude00\ud83d", false)).getMessage()
                    .contains("U+DE00 at index 1"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> tok.encode("end\ud83d", false)).getMessage()
                    .contains("U+D83D at index 3"));
            // A proper pair is text like any other.
            assertEquals("a😀b", tok.decode(tok.encode("a😀b", false), false));
        }
    }

    /** serde_json (so HF) refuses "\ud83d" alone in tokenizer.json; Jackson accepts it, so the loader checks. */
    @Test
    void loneSurrogateEscapesInTokenizerJsonAreRejected() {
        String model = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": []}";
        String added = "{\"added_tokens\": [{\"id\": 5, \"content\": \"x\\ud83d\", \"special\": true}], " + model + "}";
        assertEquals("tokenizer.json: lone surrogate U+D83D at index 1 in the string at .added_tokens[0].content"
                + " (HF tokenizers refuses such a file too)",
                assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(added)).getMessage());
        String vocab = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\\ud83d\": 1}, \"merges\": []}}";
        // Jackson already refuses one in a field name.
        String m = assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(vocab)).getMessage();
        assertTrue(m.startsWith("tokenizer.json is not valid JSON: Broken surrogate pair in field name"), m);
        String merges = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a \\ude00\"]}}";
        m = assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(merges)).getMessage();
        assertTrue(m.contains("lone surrogate U+DE00 at index 2 in the string at .model.merges[0]"), m);
        // An escaped pair is fine.
        String pair = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"\\ud83d\\ude00\": 1}, \"merges\": []}}";
        assertEquals(1, Tokenizer.fromJson(pair).tokenId("😀").orElseThrow());
    }

    /** Whatever the ids, decode and every streamed chunk are Unicode text: no half of a surrogate pair. */
    @Test
    void decodingNeverProducesLoneSurrogates() {
        Random rnd = new Random(13);
        for (String name : OracleFixtures.NAMES) {
            Tokenizer tok = OracleFixtures.load(name);
            for (int round = 0; round < 200; round++) {
                int[] ids = new int[1 + rnd.nextInt(12)];
                for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(tok.vocabSize());
                if (round % 2 == 0) ids = tok.encode("é😀 x" + new String(Character.toChars(0x1F600 + rnd.nextInt(64))), false);
                boolean skip = rnd.nextBoolean();
                String full = tok.decode(ids, skip);
                assertUnicode(full, name + " decode");
                StreamingDecoder stream = tok.streamingDecoder(skip);
                List<String> chunks = new ArrayList<>();
                for (int id : ids) chunks.add(stream.push(id));
                chunks.add(stream.finish());
                for (String c : chunks) assertUnicode(c, name + " streamed chunk");
                assertEquals(full, String.join("", chunks), name);
            }
        }
    }

    private static void assertUnicode(String s, String what) {
        s.codePoints().forEach(cp -> assertNotEquals(Character.SURROGATE, Character.getType(cp),
                () -> what + ": lone surrogate U+" + Integer.toHexString(cp) + " in '" + s + "'"));
    }

    @Test
    void tokenizerFilesThatAreNotRegularFilesAreRefused(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("tokenizer.json");
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        TokenizerException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(TokenizerException.class, () -> Tokenizer.fromFile(fifo)));
        assertEquals("tokenizer.json " + fifo + ": a named pipe (FIFO), not a regular file", e.getMessage());
        assertEquals("tokenizer.json /dev/zero: a character device, not a regular file",
                assertThrows(TokenizerException.class, () -> Tokenizer.fromFile(Path.of("/dev/zero"))).getMessage());
    }

    @Test
    void tokenizerFilesOverTheLimitAreRefusedBeforeReading(@TempDir Path dir) throws IOException {
        Path real = OracleFixtures.tokenizerPath("gpt2");
        long size = Files.size(real);
        assertEquals(OracleFixtures.load("gpt2").vocabSize(), Tokenizer.fromFile(real, size).vocabSize());
        assertEquals("tokenizer.json " + real + ": " + size + " bytes, over the limit of " + (size - 1) + " bytes for tokenizer.json",
                assertThrows(TokenizerException.class, () -> Tokenizer.fromFile(real, size - 1)).getMessage());
        assertEquals(64L << 20, Tokenizer.MAX_FILE_BYTES);
    }
}
