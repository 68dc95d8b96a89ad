package dev.casa.text.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HF's {@code NormalizedString::split}: find the delimiters, then apply a {@link SplitBehavior}. */
final class Splits {
    private Splits() {}

    /** Spans (start, end, isMatch) covering {@code text}: every regex match and the text between. */
    static List<int[]> regexSpans(Pattern pattern, String text, boolean invert) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int prev = 0;
        while (m.find()) {
            if (m.start() > prev) spans.add(span(prev, m.start(), invert));
            spans.add(span(m.start(), m.end(), !invert));
            prev = m.end();
        }
        if (prev < text.length()) spans.add(span(prev, text.length(), invert));
        return spans;
    }

    /** Spans where every character satisfying {@code delimiter} is its own match. */
    static List<int[]> charSpans(IntPredicate delimiter, String text) {
        List<int[]> spans = new ArrayList<>();
        int prev = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            int next = i + Character.charCount(c);
            if (delimiter.test(c)) {
                if (i > prev) spans.add(span(prev, i, false));
                spans.add(span(i, next, true));
                prev = next;
            }
            i = next;
        }
        if (prev < text.length()) spans.add(span(prev, text.length(), false));
        return spans;
    }

    private static int[] span(int start, int end, boolean match) {
        return new int[] {start, end, match ? 1 : 0};
    }

    /** Applies {@code behavior} and appends the non-empty pieces. */
    static void emit(Piece piece, List<int[]> spans, SplitBehavior behavior, List<Piece> out) {
        String text = piece.text();
        for (int[] s : behavior.apply(spans)) {
            if (s[1] > s[0]) out.add(new Piece(text.substring(s[0], s[1]), piece.first() && s[0] == 0));
        }
    }
}
