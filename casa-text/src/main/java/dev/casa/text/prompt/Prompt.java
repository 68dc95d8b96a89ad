package dev.casa.text.prompt;

/**
 * Token ids of a prompt and, for each image in order, its insertion point: the number of text
 * tokens before it (model-format.md §4.2).
 */
public record Prompt(int[] tokens, int[] imageInsertPoints) {
    public Prompt {
        tokens = tokens.clone();
        imageInsertPoints = imageInsertPoints.clone();
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    @Override
    public int[] imageInsertPoints() { return imageInsertPoints.clone(); }

    public int imageCount() { return imageInsertPoints.length; }
}
