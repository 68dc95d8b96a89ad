package dev.casa.image;

import dev.casa.vision.VisionEncoder;
import dev.casa.vision.image.PreprocessorConfig;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ProcessedImage;
import dev.casa.vision.processor.SiglipImageProcessor;

/** Our format's pipeline (model-format.md §4.1, §5): SigLIP preprocessing, the SigLIP tower and the projector. */
public final class SiglipImageEncoder implements ImageEncoder {
    private final SiglipImageProcessor processor;
    private final VisionEncoder vision;

    public SiglipImageEncoder(PreprocessorConfig config, VisionEncoder vision) {
        this.processor = new SiglipImageProcessor(config);
        this.vision = vision;
        if (config.height() != vision.imageSize()) {
            throw new IllegalArgumentException("preprocessor_config.json resizes to " + config.width() + "x" + config.height()
                    + " but the vision tower takes " + vision.imageSize() + "x" + vision.imageSize() + " images");
        }
    }

    public VisionEncoder vision() { return vision; }

    @Override
    public ProcessedImage process(RgbImage image) {
        return processor.process(image);
    }

    @Override
    public EncodedImage encode(ProcessedImage pixels) {
        int n = vision.tokensPerImage();
        int side = vision.imageSize() / vision.config().vision().patchSize();
        return new EncodedImage(vision.encode(pixels.pixels()), n, vision.embeddingSize(), side, side);
    }

    @Override
    public int embeddingSize() { return vision.embeddingSize(); }

    @Override
    public String describe() {
        return String.format("SigLIP, image %d, %d tokens per image, width %d -> projected %d",
                vision.imageSize(), vision.tokensPerImage(), vision.featureSize(), vision.embeddingSize());
    }
}
