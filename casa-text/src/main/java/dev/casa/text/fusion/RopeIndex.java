package dev.casa.text.fusion;

import dev.casa.text.lm.ImageInput;
import java.util.List;

/**
 * HF Qwen2-VL's {@code get_rope_index} for still images: the M-RoPE (t, h, w) position of every row.
 * Text rows take (p, p, p) in sequence. An image's placeholder rows, in raster order of its merged grid,
 * take (s, s + r, s + c) where s is the position after the preceding text; the text after the image
 * continues at s + max(rows, cols) (t is always 0 for a still image).
 */
public final class RopeIndex {
    private RopeIndex() {}

    /**
     * Positions {@code [tokens.length × 3]} row-major, starting at {@code next}; the placeholder rows are
     * consumed by the images in order, each taking its own number of tokens.
     */
    public static int[] positions(int[] tokens, int imageTokenId, List<ImageInput> images, int next) {
        int[] pos = new int[tokens.length * 3];
        int image = 0, left = 0, n = 0, start = 0, cols = 1;
        for (int j = 0; j < tokens.length; j++) {
            if (tokens[j] == imageTokenId) {
                if (left == 0) {
                    if (image >= images.size()) throw new IllegalArgumentException("more image placeholders than image tokens");
                    ImageInput img = images.get(image++);
                    if (!img.hasGrid()) throw new IllegalArgumentException("M-RoPE needs the token grid of image " + (image - 1));
                    left = img.numTokens();
                    n = 0;
                    start = next;
                    next = start + Math.max(img.gridRows(), img.gridCols());
                    cols = img.gridCols();
                }
                pos[3 * j] = start;
                pos[3 * j + 1] = start + n / cols;
                pos[3 * j + 2] = start + n % cols;
                n++;
                left--;
            } else {
                pos[3 * j] = pos[3 * j + 1] = pos[3 * j + 2] = next++;
            }
        }
        return pos;
    }
}
