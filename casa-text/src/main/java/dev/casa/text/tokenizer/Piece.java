package dev.casa.text.tokenizer;

/**
 * A piece of normalized text on its way to the model.
 *
 * @param text  the piece
 * @param first whether it starts at offset 0 of the input (Metaspace's prepend_scheme "first" needs it)
 */
record Piece(String text, boolean first) {}
