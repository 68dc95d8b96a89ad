package dev.casa.family.smolvlm;

import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.Idefics3ImageProcessor;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ImageProcessingException;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ProcessedImage;
import java.util.function.BiPredicate;

/**
 * Idefics3's processor, refusing before any work an image that would be cut into more tiles than the prompt can
 * name (HF would tokenize a missing {@code <row_r_col_c>} as plain text and go on).
 */
final class TileLimitedProcessor implements ImageProcessor {
    private final Idefics3ImageProcessor processor;
    private final BiPredicate<Integer, Integer> tileGridAllowed;
    private final String tileLimit;

    TileLimitedProcessor(Idefics3ImageProcessor processor, BiPredicate<Integer, Integer> tileGridAllowed, String tileLimit) {
        this.processor = processor;
        this.tileGridAllowed = tileGridAllowed;
        this.tileLimit = tileLimit;
    }

    @Override
    public ProcessedImage process(RgbImage image) {
        ImageLayout.Tiles layout = processor.layout(image.width(), image.height());
        if (layout.isSplit() && !tileGridAllowed.test(layout.rows(), layout.cols())) {
            throw new ImageProcessingException("image " + image.width() + "x" + image.height() + " would be split into "
                    + layout.rows() + "x" + layout.cols() + " tiles, more than the model's tile markers allow (" + tileLimit + ")");
        }
        return processor.process(image);
    }
}
