package dev.casa.family.text;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamily;
import dev.casa.family.ModelParts;
import dev.casa.family.StopTokens;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import java.util.List;

/** HF text-only decoders: {@code LlamaForCausalLM}, {@code HeliumForCausalLM}, {@code Qwen2ForCausalLM}. */
public final class TextOnlyFamily implements ModelFamily {

    @Override
    public List<String> modelTypes() { return List.of("llama", "helium", "qwen2"); }

    @Override
    public ModelParts load(ModelDirectory dir) {
        JsonConfig c = dir.config();
        TextConfig text = c.bind(TextConfig.class);
        Tokenizer tokenizer = dir.tokenizer();
        dir.checkVocab(tokenizer, text.vocabSize(), "vocab_size");
        TokenizerConfig tokenizerConfig = dir.tokenizerConfig();
        GenerationConfig generation = dir.generationConfig();
        TensorStore store = dir.openWeights();
        try {
            TensorBinder b = dir.binder(store);
            LanguageModelWeights weights = LanguageModelWeights.bind(b, LmTensorNames.HF, text);
            b.rejectUnused(TextOnlyFamily::unusedProblem);
            LanguageModel lm = new LanguageModel(text, weights, null, dir.pool());
            int bos = text.bosTokenId() != null ? text.bosTokenId() : -1;
            PromptBuilder prompts = new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                    tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), bos,
                    PromptBuilder.ContentStyle.TEXT_WITH_PLACEHOLDER, PromptBuilder.IMAGE_PLACEHOLDER);
            return new ModelParts(text.modelType(), text.modelType() + " text model", lm, tokenizer, prompts, null, null,
                    null, StopTokens.of(generation, text, tokenizerConfig, tokenizer), generation, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Every tensor of a text model is part of it; a stored rotary table is the one harmless extra. */
    static String unusedProblem(String name) {
        if (name.endsWith("rotary_emb.inv_freq")) return null;
        return "not part of the model's layout (a vision tower in a text-only config, or a misnamed tensor?)";
    }
}
