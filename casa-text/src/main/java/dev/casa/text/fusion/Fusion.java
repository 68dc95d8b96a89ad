package dev.casa.text.fusion;

import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import java.util.List;

/**
 * How image embeddings enter the language model for a prompt's tokens. Three ways:
 * <ul>
 *   <li>{@link PlaceholderFusion}: HF style, the image's placeholder ids (Qwen's {@code <|image_pad|>},
 *       SmolVLM's {@code <image>}) get the image's embeddings, at 1-D or M-RoPE positions;</li>
 *   <li>{@link InsertionFusion}: the embeddings are spliced into the stream at insertion points (our
 *       format's insertion baseline);</li>
 *   <li>{@link CasaFusion}: the images are attached at insertion points for the CASA layers and never
 *       enter the stream or the KV cache.</li>
 * </ul>
 */
public interface Fusion {

    /**
     * The decoder input for {@code tokens} with {@code images} in prompt order; an image's
     * {@link ImageInput#insertAt()} is its insertion point in {@code tokens} (ignored by placeholder fusion).
     */
    DecoderInput input(int[] tokens, List<ImageInput> images, DecoderState state);

    /** Whether image tokens end up in the self-attention KV cache (and so count against its capacity). */
    boolean imagesInKvCache();
}
