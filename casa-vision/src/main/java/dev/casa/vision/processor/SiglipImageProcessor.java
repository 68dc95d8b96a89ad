package dev.casa.vision.processor;

import dev.casa.vision.image.ImagePreprocessor;
import dev.casa.vision.image.PreprocessorConfig;
import dev.casa.vision.image.RgbImage;

/**
 * The existing SigLIP preprocessing ({@link ImagePreprocessor}, model-format.md §5) behind the common
 * interface: one image resized to the config's size, pixels [C, H, W].
 */
public final class SiglipImageProcessor implements ImageProcessor {
    private final ImagePreprocessor preprocessor;
    private final ImageLayout.Fixed layout;

    public SiglipImageProcessor(PreprocessorConfig config) {
        if (!config.doResize()) {
            throw new ImageProcessingException("SigLIP processor: need do_resize (a fixed output size), got do_resize false");
        }
        this.preprocessor = new ImagePreprocessor(config);
        this.layout = new ImageLayout.Fixed(config.height(), config.width());
    }

    public PreprocessorConfig config() { return preprocessor.config(); }

    @Override
    public ProcessedImage process(RgbImage image) {
        return new ProcessedImage(preprocessor.preprocess(image), new long[] {ImagePreprocessor.CHANNELS, layout.height(), layout.width()},
                layout);
    }
}
