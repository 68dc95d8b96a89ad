package dev.casa.text.tokenizer;

import java.text.Normalizer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The normalizers of HF tokenizers this library supports. */
final class Normalizers {
    private Normalizers() {}

    record Sequence(List<TextNormalizer> steps) implements TextNormalizer {
        @Override public String normalize(String text) {
            for (TextNormalizer n : steps) text = n.normalize(text);
            return text;
        }
    }

    /** NFC, NFD, NFKC or NFKD. */
    record Unicode(Normalizer.Form form) implements TextNormalizer {
        @Override public String normalize(String text) { return Normalizer.normalize(text, form); }
    }

    /** Prepends a string to non-empty text. */
    record Prepend(String prefix) implements TextNormalizer {
        @Override public String normalize(String text) { return text.isEmpty() ? text : prefix + text; }
    }

    /** Replaces every match of a literal or regex pattern. */
    record Replace(Pattern pattern, String content) implements TextNormalizer {
        @Override public String normalize(String text) {
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }
    }

    /**
     * Lowercases character by character, as Rust's {@code char::to_lowercase}: no context rules
     * (a final capital sigma becomes σ, not ς), but İ still becomes i + U+0307.
     */
    record Lowercase() implements TextNormalizer {
        @Override public String normalize(String text) {
            StringBuilder sb = new StringBuilder(text.length());
            for (int i = 0; i < text.length(); ) {
                int c = text.codePointAt(i);
                i += Character.charCount(c);
                if (c == 0x130) sb.append("i\u0307");
                else sb.appendCodePoint(Character.toLowerCase(c));
            }
            return sb.toString();
        }
    }

    /** Removes leading and/or trailing Unicode whitespace. */
    record Strip(boolean left, boolean right) implements TextNormalizer {
        @Override public String normalize(String text) {
            int start = 0, end = text.length();
            if (left) {
                while (start < end) {
                    int c = text.codePointAt(start);
                    if (!CharClasses.isWhitespace(c)) break;
                    start += Character.charCount(c);
                }
            }
            if (right) {
                while (end > start) {
                    int c = text.codePointBefore(end);
                    if (!CharClasses.isWhitespace(c)) break;
                    end -= Character.charCount(c);
                }
            }
            return text.substring(start, end);
        }
    }
}
