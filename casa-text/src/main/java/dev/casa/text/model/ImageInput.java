package dev.casa.text.model;

/**
 * Projected image embeddings {@code e} ({@code numTokens × hidden_size}, row-major) attached at an
 * insertion point: before text token {@code insertAt} of the call's tokens (0 ≤ insertAt ≤ T).
 */
public record ImageInput(float[] embeddings, int numTokens, int insertAt) {
    public ImageInput {
        if (numTokens <= 0) throw new IllegalArgumentException("an image needs at least one token, got " + numTokens);
        if (insertAt < 0) throw new IllegalArgumentException("insertAt must be >= 0, got " + insertAt);
    }
}
