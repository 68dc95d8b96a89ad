package dev.casa.bench.qwen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.text.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stand-in tokenizer loads in casa's tokenizer, with Qwen2.5's special tokens at their published ids. */
class QwenTokenizerWriterTest {
    @TempDir
    static Path dir;
    static Tokenizer tokenizer;

    @BeforeAll
    static void write() throws Exception {
        Path file = dir.resolve("tokenizer.json");
        QwenTokenizerWriter.write(file);
        tokenizer = Tokenizer.fromFile(file);
    }

    @Test
    void specialTokensAtTheRealIds() {
        // Qwen2.5's tokenizer.json: 151,643 BPE tokens, then the added tokens (config.json names 151652..151656).
        Map<Integer, String> real = Map.of(151643, "<|endoftext|>", 151644, "<|im_start|>", 151645, "<|im_end|>",
                151652, "<|vision_start|>", 151653, "<|vision_end|>", 151654, "<|vision_pad|>", 151655, "<|image_pad|>",
                151656, "<|video_pad|>", 151664, "<|file_sep|>");
        real.forEach((id, token) -> assertEquals(token, tokenizer.token(id)));
        assertEquals(151_665, tokenizer.vocabSize());
        assertTrue(tokenizer.isSpecial(151655));
        assertFalse(tokenizer.isSpecial(151657), "<tool_call> is not special in Qwen2.5");
        assertArrayEquals(new int[] {151644, 151655, 151645}, tokenizer.encode("<|im_start|><|image_pad|><|im_end|>", false));
    }

    @Test
    void byteLevelTextRoundTrips() {
        String text = "Describe the image, please: 3 cats & a café — ünïcödé 漢字\n\tend";
        int[] ids = tokenizer.encode(text, false);
        assertEquals(text, tokenizer.decode(ids, false));
        for (int id : ids) assertTrue(id >= 0 && id < QwenTokenizerWriter.BPE_TOKENS, "id " + id);
        assertTrue(ids.length < text.length(), "merges shorten English text: " + ids.length + " ids");
    }

    @Test
    void everyBpeIdDecodes() {
        for (int id = 0; id < QwenTokenizerWriter.BPE_TOKENS; id += 97) assertFalse(tokenizer.token(id).isEmpty());
        assertEquals("!", tokenizer.token(0));   // GPT-2 / Qwen2 byte order: id 0 is '!'
        assertEquals("\u0120", tokenizer.token(220)); // the space byte, Qwen2's id 220
    }
}
