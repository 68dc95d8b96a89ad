package dev.casa.image;

import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ProcessedImage;

/**
 * An image → embedding pipeline: the model's image processor, vision tower and connector, owned by one
 * object (as llama.cpp's mtmd does). Thread-safe.
 */
public interface ImageEncoder {

    /** The processor's pixel values for one decoded image (HF's {@code pixel_values} for it alone). */
    ProcessedImage process(RgbImage image);

    /** The tower and connector over processed pixels. */
    EncodedImage encode(ProcessedImage pixels);

    /** The embeddings of one decoded image. */
    default EncodedImage encode(RgbImage image) {
        return encode(process(image));
    }

    /** Width of the embeddings (the language model's hidden size). */
    int embeddingSize();

    /** One line describing the tower, for {@code casa info}. */
    String describe();
}
