package dev.casa.text.tokenizer;

import java.util.List;

/** One step of HF's decoder chain: token strings in, token strings out. */
interface TokenDecoder {
    List<String> decodeChain(List<String> tokens);
}
