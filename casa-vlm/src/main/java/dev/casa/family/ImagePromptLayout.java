package dev.casa.family;

import dev.casa.image.EncodedImage;
import dev.casa.text.prompt.ImageTokens;

/** The tokens an encoded image becomes in its model's prompts (one per family). */
@FunctionalInterface
public interface ImagePromptLayout {
    ImageTokens tokensFor(EncodedImage image);
}
