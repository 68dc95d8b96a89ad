package dev.casa.family.smolvlm;

import dev.casa.family.ImagePromptLayout;
import dev.casa.image.EncodedImage;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.tokenizer.Tokenizer;

/**
 * The tokens an image becomes in an Idefics3 / SmolVLM prompt: HF v4.51.3's
 * {@code Idefics3Processor}/{@code SmolVLMProcessor} {@code get_image_prompt_string} text, encoded by the model's
 * tokenizer (special tokens matched, nothing added), exactly as the processor's tokenizer call sees it. The
 * text is bounded by special tokens on both sides, so encoding it alone gives the same ids as encoding the
 * whole prompt. With {@code L} = {@code image_seq_len}:
 * <ul>
 *   <li>split into r × c tiles: for each row, for each column {@code <fake_token_around_image><row_i_col_j>}
 *       + {@code <image>}×L, then {@code \n} after the row; then {@code \n<fake_token_around_image><global-img>}
 *       + {@code <image>}×L + {@code <fake_token_around_image>};</li>
 *   <li>not split: {@code <fake_token_around_image><global-img>} + {@code <image>}×L + {@code <fake_token_around_image>}.</li>
 * </ul>
 */
public final class SmolVLMPromptLayout implements ImagePromptLayout {
    static final String FAKE = "<fake_token_around_image>";
    static final String IMAGE = "<image>";
    static final String GLOBAL = "<global-img>";

    private final Tokenizer tokenizer;
    private final int imageSeqLen;

    SmolVLMPromptLayout(Tokenizer tokenizer, int imageSeqLen) {
        this.tokenizer = tokenizer;
        this.imageSeqLen = imageSeqLen;
    }

    /** The processor's text for an image cut into {@code rows × cols} tiles (0 × 0: not split). */
    static String text(int rows, int cols, int imageSeqLen) {
        String run = IMAGE.repeat(imageSeqLen);
        StringBuilder s = new StringBuilder();
        if (rows == 0 && cols == 0) {
            return s.append(FAKE).append(GLOBAL).append(run).append(FAKE).toString();
        }
        for (int r = 1; r <= rows; r++) {
            for (int c = 1; c <= cols; c++) s.append(FAKE).append(tileMarker(r, c)).append(run);
            s.append('\n');
        }
        return s.append('\n').append(FAKE).append(GLOBAL).append(run).append(FAKE).toString();
    }

    static String tileMarker(int row, int col) {
        return "<row_" + row + "_col_" + col + ">";
    }

    @Override
    public ImageTokens tokensFor(EncodedImage image) {
        int tiles = image.tileRows() == 0 ? 1 : image.tileRows() * image.tileCols() + 1;
        if (image.tokens() != tiles * imageSeqLen) {
            throw new IllegalArgumentException("an image of " + image.tokens() + " embeddings does not fill " + tiles
                    + " tile(s) of image_seq_len " + imageSeqLen);
        }
        if (tokenizer == null) throw new IllegalStateException("tokenizer.json: file not found (needed to lay out image tokens)");
        return ImageTokens.placeholders(tokenizer.encode(text(image.tileRows(), image.tileCols(), imageSeqLen), false));
    }
}
