package dev.casa.text.generate;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Oracle: String.indexOf over the whole text, whatever the split into pieces. */
class StopStringMatcherTest {

    /** Feeds {@code pieces}; returns what was released (and flushed at the end when nothing matched). */
    private static String run(List<String> stops, String... pieces) {
        StopStringMatcher m = new StopStringMatcher(stops);
        StringBuilder out = new StringBuilder();
        for (String p : pieces) out.append(m.push(p));
        if (!m.matched()) out.append(m.flush());
        return out.toString();
    }

    /**
     * The expected output: grow the text one character at a time; at the first prefix that contains a
     * stop string, the text ends before the earliest occurrence in that prefix.
     */
    private static String oracle(List<String> stops, String text) {
        for (int i = 1; i <= text.length(); i++) {
            String prefix = text.substring(0, i);
            int first = -1;
            for (String s : stops) {
                int at = prefix.indexOf(s);
                if (at >= 0 && (first < 0 || at < first)) first = at;
            }
            if (first >= 0) return prefix.substring(0, first);
        }
        return text;
    }

    @Test
    void everySplitOfTheTextGivesTheOraclesAnswer() {
        List<List<String>> stopSets = List.of(List.of("\n\n"), List.of("abab"), List.of("ba", "abc"), List.of("xyz", "y"),
                List.of("aab"), List.of("é!"), List.of("END"));
        List<String> texts = List.of("hello\n\nworld", "aabababc", "abcabc", "xxyz", "aaab", "caf\u00e9!", "no stop here", "", "ENDEND", "aa");
        for (List<String> stops : stopSets) {
            for (String text : texts) {
                String expected = oracle(stops, text);
                // One piece, one character at a time, and every two-piece split.
                assertEquals(expected, run(stops, text), stops + " on '" + text + "'");
                assertEquals(expected, run(stops, text.split("")), stops + " char by char on '" + text + "'");
                for (int i = 0; i <= text.length(); i++) {
                    assertEquals(expected, run(stops, text.substring(0, i), text.substring(i)), stops + " split at " + i + " of '" + text + "'");
                }
            }
        }
    }

    @Test
    void holdsBackOnlyAPossibleStartOfAStopString() {
        StopStringMatcher m = new StopStringMatcher(List.of("STOP"));
        assertEquals("say ", m.push("say ST"));   // "ST" could begin "STOP"
        assertEquals("STart", m.push("art"));      // it did not
        assertEquals(" ", m.push(" S"), "the 'S' could begin STOP");
        assertEquals("", m.push("TO"));
        assertEquals("", m.push("P and more"));
        assertTrue(m.matched());
        assertEquals("", m.push("later"), "nothing after a match");
    }

    @Test
    void releasedPiecesConcatenateToTheTextBeforeTheMatch() {
        StopStringMatcher m = new StopStringMatcher(List.of("</s>"));
        List<String> out = new ArrayList<>();
        for (String p : List.of("a <", "/", "b", "> c <", "/s", ">", "tail")) out.add(m.push(p));
        assertEquals("a </b> c ", String.join("", out));
        assertTrue(m.matched());
    }

    @Test
    void refusesEmptyStopStrings() {
        assertThrows(IllegalArgumentException.class, () -> new StopStringMatcher(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new StopStringMatcher(List.of()));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(4).withStopStrings(List.of("")));
    }
}
