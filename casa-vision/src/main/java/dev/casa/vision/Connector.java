package dev.casa.vision;

/**
 * A connector: a tower's features → embeddings of the language model's width (the LLaVA projector, Qwen's
 * 2×2 patch merger, Idefics3's pixel shuffle and projection). Immutable and thread-safe.
 */
public interface Connector {

    /** The embeddings of {@code features}, image by image, on the connector's output grid. */
    VisionFeatures connect(VisionFeatures features);

    /** Width of the embeddings. */
    int outputWidth();
}
