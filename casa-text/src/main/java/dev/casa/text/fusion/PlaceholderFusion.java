package dev.casa.text.fusion;

import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import java.util.List;

/**
 * HF's fusion: every row whose id is the image placeholder takes the next image feature row, in order
 * (HF's {@code masked_scatter}); a count that does not match the features is an error, as in HF.
 *
 * <p>With M-RoPE ({@code multimodalRope}), positions are HF's {@code get_rope_index} for images: text rows
 * (p, p, p) in sequence; an image's rows, laid out over its merged grid, (s, s + r, s + c) where s is the
 * position after the preceding text; the text after it continues at s + max(rows, cols). Without it the
 * positions are sequential.
 */
public final class PlaceholderFusion implements Fusion {
    private final int imageTokenId;
    private final int hidden;
    private final boolean multimodalRope;

    public PlaceholderFusion(int imageTokenId, int hidden, boolean multimodalRope) {
        this.imageTokenId = imageTokenId;
        this.hidden = hidden;
        this.multimodalRope = multimodalRope;
    }

    public int imageTokenId() { return imageTokenId; }

    @Override
    public DecoderInput input(int[] tokens, List<ImageInput> images, DecoderState state) {
        int placeholders = 0;
        for (int id : tokens) if (id == imageTokenId) placeholders++;
        long features = 0;
        for (ImageInput img : images) features += img.numTokens();
        if (placeholders != features) {
            throw new IllegalArgumentException("image features and image tokens do not match: " + placeholders
                    + " placeholder tokens (id " + imageTokenId + ") for " + features + " image feature rows of "
                    + images.size() + " image(s)");
        }
        int[] rows = new int[placeholders];
        float[] embeddings = new float[Math.multiplyExact(placeholders, hidden)];
        int e = 0;
        for (ImageInput img : images) {
            if (img.embeddings().length != (long) img.numTokens() * hidden) {
                throw new IllegalArgumentException(img.embeddings().length + " embedding floats for an image of "
                        + img.numTokens() + " tokens x " + hidden);
            }
            System.arraycopy(img.embeddings(), 0, embeddings, e * hidden, img.numTokens() * hidden);
            e += img.numTokens();
        }
        e = 0;
        for (int r = 0; r < tokens.length; r++) if (tokens[r] == imageTokenId) rows[e++] = r;
        int[] positions = multimodalRope ? RopeIndex.positions(tokens, imageTokenId, images, state.nextPosition()) : null;
        return new DecoderInput(tokens.clone(), rows, embeddings, positions, null);
    }

    @Override
    public boolean imagesInKvCache() { return true; }
}
