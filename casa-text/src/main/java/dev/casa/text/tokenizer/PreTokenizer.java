package dev.casa.text.tokenizer;

import java.util.List;

/** Splits (and may rewrite) a piece of normalized text into the words the model encodes separately. */
interface PreTokenizer {
    /** Appends the non-empty pieces {@code piece} becomes to {@code out}. */
    void preTokenize(Piece piece, List<Piece> out);
}
