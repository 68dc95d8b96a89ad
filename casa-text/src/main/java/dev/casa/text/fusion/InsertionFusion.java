package dev.casa.text.fusion;

import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import java.util.List;

/**
 * Image embeddings spliced into the stream before their insertion points (model-format.md §4.5): they
 * take rows like text and enter the KV cache. Their rows carry no token id, so they have no logits row.
 * Positions are sequential (1-D RoPE), or with M-RoPE those of HF's {@code get_rope_index} ({@link RopeIndex}),
 * so that insertion over a Qwen2.5-VL tower and decoder is plain Qwen2.5-VL.
 */
public final class InsertionFusion implements Fusion {
    private final int hidden;
    private final boolean multimodalRope;

    public InsertionFusion(int hidden) {
        this(hidden, false);
    }

    public InsertionFusion(int hidden, boolean multimodalRope) {
        this.hidden = hidden;
        this.multimodalRope = multimodalRope;
    }

    @Override
    public DecoderInput input(int[] tokens, List<ImageInput> images, DecoderState state) {
        int imageRows = 0;
        for (ImageInput img : images) imageRows += img.numTokens();
        int[] stream = new int[tokens.length + imageRows];
        int[] embeddingRows = new int[imageRows];
        float[] embeddings = new float[Math.multiplyExact(imageRows, hidden)];
        int row = 0, done = 0, e = 0, previous = 0;
        for (int m = 0; m <= images.size(); m++) {
            int until = m < images.size() ? images.get(m).insertAt() : tokens.length;
            if (until < previous || until > tokens.length) {
                throw new IllegalArgumentException("image " + m + ": insertAt " + until + " must be non-decreasing and within [0, " + tokens.length + "]");
            }
            previous = until;
            for (int j = done; j < until; j++) stream[row++] = tokens[j];
            done = until;
            if (m == images.size()) break;
            ImageInput img = images.get(m);
            if (img.embeddings().length != (long) img.numTokens() * hidden) {
                throw new IllegalArgumentException("image " + m + ": " + img.embeddings().length + " embedding floats, expected "
                        + img.numTokens() + " x " + hidden);
            }
            System.arraycopy(img.embeddings(), 0, embeddings, e * hidden, img.numTokens() * hidden);
            for (int i = 0; i < img.numTokens(); i++) {
                embeddingRows[e++] = row;
                stream[row++] = -1;
            }
        }
        int[] positions = multimodalRope ? RopeIndex.positions(stream, -1, images, state.nextPosition()) : null;
        return new DecoderInput(stream, embeddingRows, embeddings, positions, null);
    }

    @Override
    public boolean imagesInKvCache() { return true; }
}
