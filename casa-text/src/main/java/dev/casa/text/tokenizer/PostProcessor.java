package dev.casa.text.tokenizer;

/** Adds special tokens around an encoded sequence (HF post_processor, single sequences only). */
interface PostProcessor {
    int[] process(int[] ids);
}
