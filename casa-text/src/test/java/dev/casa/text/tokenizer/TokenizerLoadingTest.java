package dev.casa.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class TokenizerLoadingTest {
    private static final String MODEL = "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"]}";

    private static String json(String parts) { return "{" + parts + (parts.isEmpty() ? "" : ", ") + MODEL + "}"; }

    @Test
    void unsupportedComponentTypesAreNamed() {
        String[][] cases = {
                {"\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"\"}", "Precompiled"},
                {"\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}", "UnicodeScripts"},
                {"\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"BertPreTokenizer\"}]}", "BertPreTokenizer"},
                {"\"post_processor\": {\"type\": \"Mystery\"}", "Mystery"},
                {"\"decoder\": {\"type\": \"WordPiece\", \"prefix\": \"##\"}", "WordPiece"},
                {"\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"x\"}, \"behavior\": \"Sideways\"}", "Sideways"},
        };
        for (String[] c : cases) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(json(c[0])), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        TokenizerException unigram = assertThrows(TokenizerException.class,
                () -> Tokenizer.fromJson("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}"));
        assertTrue(unigram.getMessage().contains("Unigram"), unigram.getMessage());
    }

    @Test
    void malformedFilesAreClearErrors() {
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromJson("{not json"))
                .getMessage().contains("not valid JSON"));
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromJson("{}"))
                .getMessage().contains("'model'"));
        String badMerge = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a z\"]}}";
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(badMerge))
                .getMessage().contains("'z'"));
        String badUnk = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [], \"unk_token\": \"<unk>\"}}";
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromJson(badUnk))
                .getMessage().contains("<unk>"));
        Path missing = Path.of("no/such/tokenizer.json");
        assertTrue(assertThrows(TokenizerException.class, () -> Tokenizer.fromFile(missing))
                .getMessage().contains(missing.toString()));
    }

    @Test
    void unknownIdsAreRejected() {
        Tokenizer tok = Tokenizer.fromJson(json(""));
        assertEquals(3, tok.vocabSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {0, 7}, false));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-1}, false));
        assertThrows(IllegalArgumentException.class, () -> tok.token(3));
        assertThrows(IllegalArgumentException.class, () -> tok.streamingDecoder(false).push(99));
    }

    @Test
    void vocabularyLookups() {
        Tokenizer tok = OracleFixtures.load("llama2");
        assertEquals(OptionalInt.of(1), tok.tokenId("<s>"));
        assertEquals(OptionalInt.of(3 + 0x0A), tok.tokenId("<0x0A>"));
        assertEquals(OptionalInt.empty(), tok.tokenId("no such token"));
        assertEquals("</s>", tok.token(2));
        assertTrue(tok.isSpecial(1));
        assertFalse(tok.isSpecial(3));
        int the = tok.tokenId("▁the").orElseThrow();
        assertEquals("▁the", tok.token(the));
        assertArrayEquals(new int[] {the}, tok.encode("the", false));
    }

    /** Long runs of one character class (regex loops, one huge BPE word) must not overflow the stack. */
    @Test
    void longRunsAreHandled() {
        String runs = "x" + " ".repeat(20_000) + "a".repeat(20_000) + "7".repeat(10_000) + "\n".repeat(10_000) + "é".repeat(10_000);
        for (String name : List.of("llama3", "gpt2", "qwen2", "llama2", "mistral")) {
            Tokenizer tok = OracleFixtures.load(name);
            int[] ids = tok.encode(runs, false);
            // These tokenizers are lossless (byte level or byte fallback), so the decode gives the text back.
            String decoded = tok.decode(ids, false);
            assertTrue(runs.equals(decoded), name + ": decode does not give the text back");
        }
    }
}
