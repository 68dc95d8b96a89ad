package dev.casa.vision.processor;

import dev.casa.vision.image.RgbImage;

/**
 * Turns one decoded image into the model's {@code pixel_values} exactly as a Hugging Face image processor
 * does for that image alone. Implementations are immutable and thread-safe.
 */
public interface ImageProcessor {
    /**
     * @throws ImageProcessingException when HF would reject the image (too small, extreme aspect ratio) or
     *                                  when it would need more memory than the documented limits allow
     */
    ProcessedImage process(RgbImage image);
}
