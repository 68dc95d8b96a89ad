package dev.casa.vision.processor;

/**
 * The size arithmetic of transformers v4.51.3's image_processing_idefics3.py, with the same double
 * operations ({@code int()} truncates, {@code math.ceil} of a float quotient), so sizes agree exactly.
 */
public final class Idefics3Sizes {
    /** HF's {@code MAX_IMAGE_SIZE}: "4k resolution as absolute maximum" of the first resize. */
    public static final int MAX_IMAGE_SIZE = 4096;

    private Idefics3Sizes() {}

    /**
     * HF's {@code get_resize_output_image_size}: the longest side becomes {@code longestEdge} (up or
     * down), the other follows the aspect ratio, truncated and then bumped to an even number; then both
     * are scaled below {@link #MAX_IMAGE_SIZE}.
     */
    public static ImageSize longestEdge(int height, int width, int longestEdge) {
        double aspect = (double) width / height;
        int h;
        int w;
        if (width >= height) {
            w = longestEdge;
            h = (int) (w / aspect);
            if (h % 2 != 0) {
                h++;
            }
        } else {
            h = longestEdge;
            w = (int) (h * aspect);
            if (w % 2 != 0) {
                w++;
            }
        }
        h = Math.max(h, 1);
        w = Math.max(w, 1);
        // _resize_output_size_scale_below_upper_bound, with the aspect ratio of the size so far
        aspect = (double) w / h;
        if (w >= h && w > MAX_IMAGE_SIZE) {
            w = MAX_IMAGE_SIZE;
            h = (int) (w / aspect);
        } else if (h > w && h > MAX_IMAGE_SIZE) {
            h = MAX_IMAGE_SIZE;
            w = (int) (h * aspect);
        }
        return new ImageSize(Math.max(h, 1), Math.max(w, 1));
    }

    /**
     * HF's {@code resize_for_vision_encoder}: the longest side rounded up to a multiple of {@code tile},
     * the other side following the aspect ratio (truncated) and then rounded up to a multiple of
     * {@code tile}. Can be 0 on the short side only for degenerate ratios, which PIL (and we) reject.
     */
    public static ImageSize visionEncoder(int height, int width, int tile) {
        double aspect = (double) width / height;
        long h;
        long w;
        if (width >= height) {
            w = (long) Math.ceil((double) width / tile) * tile;
            h = (long) (w / aspect);
            h = (long) Math.ceil((double) h / tile) * tile;
        } else {
            h = (long) Math.ceil((double) height / tile) * tile;
            w = (long) (h * aspect);
            w = (long) Math.ceil((double) w / tile) * tile;
        }
        if (h <= 0 || w <= 0 || h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
            throw new ImageProcessingException("image " + width + "x" + height + " cannot be resized to multiples of "
                    + tile + " (gives " + w + "x" + h + ")");
        }
        return new ImageSize((int) h, (int) w);
    }
}
