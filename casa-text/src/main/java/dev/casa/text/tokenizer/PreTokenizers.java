package dev.casa.text.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

/** The pre-tokenizers of HF tokenizers this library supports. */
final class PreTokenizers {
    private PreTokenizers() {}

    /** GPT-2's split regex, used by ByteLevel when use_regex is true. */
    static final Pattern GPT2_PATTERN = OnigurumaRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** Applies each pre-tokenizer to every piece the previous one produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override public void preTokenize(Piece piece, List<Piece> out) {
            List<Piece> current = List.of(piece);
            for (PreTokenizer step : steps) {
                List<Piece> next = new ArrayList<>();
                for (Piece p : current) step.preTokenize(p, next);
                current = next;
            }
            out.addAll(current);
        }
    }

    /** Split on a regex or literal; with invert the matches are the parts between the delimiters. */
    record Split(Pattern pattern, SplitBehavior behavior, boolean invert) implements PreTokenizer {
        @Override public void preTokenize(Piece piece, List<Piece> out) {
            Splits.emit(piece, Splits.regexSpans(pattern, piece.text(), invert), behavior, out);
        }
    }

    /** Split where single characters are the delimiters (Digits, Punctuation, WhitespaceSplit...). */
    record CharSplit(IntPredicate delimiter, SplitBehavior behavior) implements PreTokenizer {
        @Override public void preTokenize(Piece piece, List<Piece> out) {
            Splits.emit(piece, Splits.charSpans(delimiter, piece.text()), behavior, out);
        }
    }

    /** HF Whitespace: words {@code \w+} and runs of other non-space characters {@code [^\w\s]+}. */
    static PreTokenizer whitespace() {
        return new Split(OnigurumaRegex.compile("\\w+|[^\\w\\s]+"), SplitBehavior.REMOVED, true);
    }

    static PreTokenizer whitespaceSplit() {
        return new CharSplit(CharClasses::isWhitespace, SplitBehavior.REMOVED);
    }

    static PreTokenizer digits(boolean individualDigits) {
        return new CharSplit(CharClasses::isNumeric,
                individualDigits ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS);
    }

    static PreTokenizer punctuation(SplitBehavior behavior) {
        return new CharSplit(CharClasses::isPunctuation, behavior);
    }

    /** SentencePiece-style: spaces become the replacement, optionally prepended, optionally split before it. */
    record Metaspace(int replacement, PrependScheme scheme, boolean split) implements PreTokenizer {
        @Override public void preTokenize(Piece piece, List<Piece> out) {
            String rep = Character.toString(replacement);
            String text = piece.text().replace(" ", rep);
            boolean prepend = switch (scheme) {
                case ALWAYS -> true;
                case FIRST -> piece.first();
                case NEVER -> false;
            };
            if (prepend && !text.startsWith(rep)) text = rep + text;
            Piece replaced = new Piece(text, piece.first());
            if (split) {
                Splits.emit(replaced, Splits.charSpans(c -> c == replacement, text), SplitBehavior.MERGED_WITH_NEXT, out);
            } else if (!text.isEmpty()) {
                out.add(replaced);
            }
        }
    }

    enum PrependScheme {
        ALWAYS, FIRST, NEVER;

        static PrependScheme fromJson(String name) {
            return switch (name) {
                case "always" -> ALWAYS;
                case "first" -> FIRST;
                case "never" -> NEVER;
                default -> throw new TokenizerException("unsupported Metaspace prepend_scheme '" + name + "'");
            };
        }
    }

    /** GPT-2 byte level: optional leading space, optional GPT-2 regex split, then bytes as characters. */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override public void preTokenize(Piece piece, List<Piece> out) {
            Piece p = piece;
            if (addPrefixSpace && !p.text().startsWith(" ")) p = new Piece(" " + p.text(), p.first());
            List<Piece> words = new ArrayList<>();
            if (useRegex) Splits.emit(p, Splits.regexSpans(GPT2_PATTERN, p.text(), false), SplitBehavior.ISOLATED, words);
            else words.add(p);
            for (Piece w : words) out.add(new Piece(ByteLevelAlphabet.encode(w.text()), w.first()));
        }
    }
}
