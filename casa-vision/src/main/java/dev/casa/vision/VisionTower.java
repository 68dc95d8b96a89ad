package dev.casa.vision;

import dev.casa.vision.processor.ProcessedImage;

/**
 * A vision tower: the pixel values its image processor made for one picture → features on a token grid
 * (SigLIP over an image or its tiles; the Qwen2-VL tower over the picture's patches). Immutable and thread-safe.
 */
public interface VisionTower {

    /** The features of one processed picture. */
    VisionFeatures features(ProcessedImage pixels);

    /** Width of the features. */
    int featureWidth();
}
