package dev.casa.text.lm;

/**
 * Image embeddings {@code e} ({@code numTokens × hidden_size}, row-major) attached at an insertion point:
 * before row {@code insertAt} of a call (0 ≤ insertAt ≤ rows). {@code gridRows × gridCols} is the token
 * grid of the image (Qwen's merged patch grid; a SigLIP image's patch grid), which M-RoPE positions
 * need; 0 × 0 when unknown.
 */
public record ImageInput(float[] embeddings, int numTokens, int insertAt, int gridRows, int gridCols) {
    public ImageInput {
        if (numTokens <= 0) throw new IllegalArgumentException("an image needs at least one token, got " + numTokens);
        if (insertAt < 0) throw new IllegalArgumentException("insertAt must be >= 0, got " + insertAt);
        if (gridRows < 0 || gridCols < 0 || (gridRows * gridCols != 0 && (long) gridRows * gridCols != numTokens)) {
            throw new IllegalArgumentException("token grid " + gridRows + "x" + gridCols + " does not hold " + numTokens + " tokens");
        }
    }

    /** An image without a known grid. */
    public ImageInput(float[] embeddings, int numTokens, int insertAt) {
        this(embeddings, numTokens, insertAt, 0, 0);
    }

    public boolean hasGrid() { return gridRows > 0; }

    /** The same image at another insertion point. */
    public ImageInput at(int point) {
        return new ImageInput(embeddings, numTokens, point, gridRows, gridCols);
    }
}
