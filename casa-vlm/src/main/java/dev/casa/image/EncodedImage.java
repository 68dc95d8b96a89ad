package dev.casa.image;

/**
 * One image as the language model receives it: {@code tokens} embeddings of width {@code width}
 * (row-major), laid out on a {@code gridRows × gridCols} token grid (Qwen's merged patch grid, a SigLIP
 * patch grid), plus how the processor cut it ({@code tileRows × tileCols} tiles for SmolVLM, 0 × 0 else).
 */
public record EncodedImage(float[] embeddings, int tokens, int width, int gridRows, int gridCols,
                           int tileRows, int tileCols) {
    public EncodedImage {
        if ((long) tokens * width != embeddings.length) {
            throw new IllegalArgumentException(embeddings.length + " floats for " + tokens + " tokens of width " + width);
        }
    }

    /** An untiled image on a grid. */
    public EncodedImage(float[] embeddings, int tokens, int width, int gridRows, int gridCols) {
        this(embeddings, tokens, width, gridRows, gridCols, 0, 0);
    }
}
