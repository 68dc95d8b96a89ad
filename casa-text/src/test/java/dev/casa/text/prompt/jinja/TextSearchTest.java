package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** TextSearch finds what String.indexOf finds, for short (intrinsic) and long (KMP) needles. */
class TextSearchTest {
    @Test
    void agreesWithStringIndexOf() {
        Random rnd = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            String alphabet = rnd.nextBoolean() ? "ab" : "abc\u00e9\ud83d\ude00";
            String haystack = random(rnd, alphabet, rnd.nextInt(300));
            String needle = rnd.nextInt(3) == 0 && haystack.length() > 40
                    ? haystack.substring(rnd.nextInt(haystack.length() - 40), haystack.length() - rnd.nextInt(5))
                    : random(rnd, alphabet, rnd.nextInt(60));
            int from = rnd.nextInt(haystack.length() + 2) - 1;
            assertEquals(haystack.indexOf(needle, from), TextSearch.indexOf(haystack, needle, from), haystack + " / " + needle + " @" + from);
        }
    }

    @Test
    void findsALongNeedleInAnAdversarialHaystack() {
        // The quadratic case of a naive search: (a^n) b searched for in a^(2n) b.
        String needle = "a".repeat(5000) + "b";
        String haystack = "a".repeat(10_000) + "b";
        assertEquals(5000, TextSearch.indexOf(haystack, needle, 0));
        assertEquals(-1, TextSearch.indexOf(haystack.substring(0, 10_000), needle, 0));
    }

    private static String random(Random rnd, String alphabet, int n) {
        StringBuilder sb = new StringBuilder();
        int[] cps = alphabet.codePoints().toArray();
        for (int i = 0; i < n; i++) sb.appendCodePoint(cps[rnd.nextInt(cps.length)]);
        return sb.toString();
    }
}
