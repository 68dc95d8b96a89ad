package dev.casa.family;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.image.ImageEncoder;
import dev.casa.text.fusion.Fusion;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.tokenizer.Tokenizer;

/**
 * What a family assembles from a model directory; the facade ({@code CasaModel}) runs it.
 *
 * @param architecture  one line for {@code casa info} (family, fusion)
 * @param images        the image pipeline, or null for a text-only model
 * @param imageLayout   the tokens an image becomes in a prompt (null when text-only)
 * @param fusion        how image embeddings enter the language model (null when text-only)
 * @param eosTokenIds   ids that end a generation
 * @param weights       the open tensors (closed with the model)
 */
public record ModelParts(String family, String architecture, LanguageModel languageModel, Tokenizer tokenizer,
                         PromptBuilder prompts, ImageEncoder images, ImagePromptLayout imageLayout, Fusion fusion,
                         int[] eosTokenIds, GenerationConfig generation, TensorStore weights) {
    public ModelParts {
        eosTokenIds = eosTokenIds.clone();
    }

    @Override
    public int[] eosTokenIds() { return eosTokenIds.clone(); }
}
