package dev.casa.text.prompt;

/**
 * Token ids of a prompt and, for each image in order, where it went: {@code imageStarts[i]} is the index
 * of the image's first token, and {@code imageInsertPoints[i]} the index of the token the image is attached
 * before (model-format.md §4.2), or −1 for an image given by placeholder ids.
 */
public record Prompt(int[] tokens, int[] imageStarts, int[] imageInsertPoints) {
    public Prompt {
        tokens = tokens.clone();
        imageStarts = imageStarts.clone();
        imageInsertPoints = imageInsertPoints.clone();
    }

    /** A prompt whose images are attached at {@code insertPoints}. */
    public Prompt(int[] tokens, int[] insertPoints) {
        this(tokens, insertPoints, insertPoints);
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    @Override
    public int[] imageInsertPoints() { return imageInsertPoints.clone(); }

    @Override
    public int[] imageStarts() { return imageStarts.clone(); }

    public int imageCount() { return imageStarts.length; }
}
