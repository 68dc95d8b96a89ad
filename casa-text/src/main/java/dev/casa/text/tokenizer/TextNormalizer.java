package dev.casa.text.tokenizer;

/** Rewrites text before pre-tokenization (HF Normalizer). */
interface TextNormalizer {
    String normalize(String text);
}
