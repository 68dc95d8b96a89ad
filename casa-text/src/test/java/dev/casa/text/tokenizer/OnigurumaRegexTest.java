package dev.casa.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class OnigurumaRegexTest {

    /**
     * The GPT-2, Llama-3, Qwen2, GPT-4o (o200k) and possessive cl100k split regexes give HF's pieces
     * (Oniguruma) on every fixture string.
     */
    @Test
    void realSplitRegexesMatchHfPieces() {
        List<JsonNode> lines = OracleFixtures.jsonl("regex_splits.jsonl");
        Map<String, PreTokenizer> compiled = new HashMap<>();
        lines.getFirst().get("patterns").properties().forEach(e -> compiled.put(e.getKey(),
                new PreTokenizers.Split(OnigurumaRegex.compile(e.getValue().asText()), SplitBehavior.ISOLATED, false)));
        assertEquals(5, compiled.size());
        int checked = 0;
        for (JsonNode line : lines.subList(1, lines.size())) {
            PreTokenizer split = compiled.get(line.get("regex").asText());
            String text = line.get("text").asText();
            List<Piece> pieces = new ArrayList<>();
            split.preTokenize(new Piece(text, true), pieces);
            List<String> expected = new ArrayList<>();
            line.get("pieces").forEach(p -> expected.add(p.asText()));
            assertEquals(expected, pieces.stream().map(Piece::text).toList(),
                    line.get("regex").asText() + " on " + JsonString.quote(text));
            checked++;
        }
        assertTrue(checked > 400, "too few regex cases: " + checked);
    }

    @Test
    void translatesOnigurumaOnlyConstructs() {
        assertEquals("\\p{IsHan}+\\P{L}", OnigurumaRegex.translate("\\p{Han}+\\p{^L}"));
        assertEquals("[0-9a-fA-F]+[^0-9a-fA-F][x0-9a-fA-F]", OnigurumaRegex.translate("\\h+\\H[x\\h]"));
        assertEquals("\\\\h", OnigurumaRegex.translate("\\\\h"), "an escaped backslash is not \\h");
        Pattern p = OnigurumaRegex.compile("\\p{Hiragana}+");
        assertTrue(p.matcher("ひらがな").matches());
    }

    @Test
    void unicodeClassesFollowOniguruma() {
        // \s is Unicode White_Space (NBSP, U+2003, U+0085 included); \d is any decimal digit.
        assertTrue(OnigurumaRegex.compile("\\s+").matcher("\u00a0\u2003\u0085\u000b").matches());
        assertTrue(OnigurumaRegex.compile("\\d+").matcher("٣٤").matches());
        // (?i:...) folds case beyond ASCII, as Oniguruma does (ſ is a long s).
        assertTrue(OnigurumaRegex.compile("(?i:'s)").matcher("'ſ").matches());
    }

    @Test
    void unsupportedRegexIsANamedLoadError() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> OnigurumaRegex.compile("(?<name"));
        assertTrue(e.getMessage().contains("(?<name"), e.getMessage());
    }
}
