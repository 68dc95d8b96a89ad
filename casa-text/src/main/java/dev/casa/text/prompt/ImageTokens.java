package dev.casa.text.prompt;

/**
 * The tokens one image becomes in a prompt, as its model lays images out: Qwen's
 * {@code <|image_pad|>} × N, SmolVLM's tile markers and {@code <image>} runs, or our format's
 * {@code pre_image_tokens}, insertion point, {@code post_image_tokens}.
 *
 * @param tokens   the ids the image's marker in the rendered template is replaced by
 * @param insertAt for models that attach images between tokens (CASA, insertion at points): the index in
 *                 {@code tokens} before which the image goes; −1 for models whose placeholder ids are
 *                 replaced by the image's embeddings
 */
public record ImageTokens(int[] tokens, int insertAt) {
    public ImageTokens {
        tokens = tokens.clone();
        if (insertAt < -1 || insertAt > tokens.length) {
            throw new IllegalArgumentException("insertAt " + insertAt + " outside [-1, " + tokens.length + "]");
        }
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    /** An image attached between {@code before} and {@code after}. */
    public static ImageTokens atPoint(int[] before, int[] after) {
        int[] t = new int[before.length + after.length];
        System.arraycopy(before, 0, t, 0, before.length);
        System.arraycopy(after, 0, t, before.length, after.length);
        return new ImageTokens(t, before.length);
    }

    /** Placeholder ids that the image's embeddings replace. */
    public static ImageTokens placeholders(int[] tokens) {
        return new ImageTokens(tokens, -1);
    }
}
