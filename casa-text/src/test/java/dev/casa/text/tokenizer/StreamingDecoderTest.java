package dev.casa.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {

    private static List<String> stream(Tokenizer tok, int[] ids) {
        StreamingDecoder s = tok.streamingDecoder(false);
        List<String> chunks = new ArrayList<>();
        for (int id : ids) chunks.add(s.push(id));
        chunks.add(s.finish());
        return chunks;
    }

    /** A character spread over several byte-level tokens comes out whole, once its last byte arrives. */
    @Test
    void byteLevelCharacterIsEmittedWhole() {
        Tokenizer tok = OracleFixtures.load("gpt2");
        int[] ids = tok.encode("a😀b", false);
        assertTrue(ids.length >= 4, "the emoji should need several byte tokens: " + ids.length);
        List<String> chunks = stream(tok, ids);
        assertEquals("a", chunks.get(0));
        for (int i = 1; i < ids.length - 2; i++) assertEquals("", chunks.get(i), "chunk " + i);
        assertEquals("😀", chunks.get(ids.length - 2));
        assertEquals("b", chunks.get(ids.length - 1));
        assertEquals("", chunks.getLast());
    }

    /** Byte-fallback runs (<0xF0><0x9F><0x98><0x80>) are held until the run is closed. */
    @Test
    void byteFallbackRunIsEmittedWhenComplete() {
        Tokenizer tok = OracleFixtures.load("llama2");
        int[] ids = tok.encode("x😀", false);
        List<String> chunks = stream(tok, ids);
        assertEquals("x😀", String.join("", chunks));
        for (String c : chunks) assertTrue(c.isEmpty() || c.equals("x") || c.equals("😀"), "partial chunk '" + c + "'");
        // An incomplete run at the end of the stream is flushed by finish(), as the full decode gives it.
        int lead = tok.tokenId("<0xF0>").orElseThrow();
        StreamingDecoder s = tok.streamingDecoder(false);
        assertEquals("", s.push(lead));
        assertEquals(tok.decode(new int[] {lead}, false), s.finish());
    }

    /** The first token's leading space is stripped once, as in the full decode. */
    @Test
    void leadingSpaceHandledLikeFullDecode() {
        for (String name : List.of("llama2", "mistral")) {
            Tokenizer tok = OracleFixtures.load(name);
            int[] ids = tok.encode("Hello world, again", true);
            assertEquals(tok.decode(ids, false), String.join("", stream(tok, ids)), name);
        }
    }
}
