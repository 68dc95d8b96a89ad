package dev.casa.text.tokenizer;

/** An entry of tokenizer.json's {@code added_tokens}. */
record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip,
                  boolean rstrip, boolean normalized) {}
