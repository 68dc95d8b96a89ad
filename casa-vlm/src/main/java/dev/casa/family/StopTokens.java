package dev.casa.family;

import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** The ids that end a generation: generation_config.json's, else config.json's, else the tokenizer's EOS token. */
public final class StopTokens {
    private StopTokens() {}

    public static int[] of(GenerationConfig gen, TextConfig text, TokenizerConfig tc, Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>(gen.eosTokenIds());
        if (ids.isEmpty()) ids.addAll(text.eosTokenIds());
        if (ids.isEmpty() && tc.eosToken() != null && tokenizer != null) {
            OptionalInt id = tokenizer.tokenId(tc.eosToken());
            if (id.isPresent()) ids.add(id.getAsInt());
        }
        return ids.stream().mapToInt(Integer::intValue).distinct().toArray();
    }
}
