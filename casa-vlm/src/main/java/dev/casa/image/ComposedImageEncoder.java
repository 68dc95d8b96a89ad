package dev.casa.image;

import dev.casa.vision.Connector;
import dev.casa.vision.VisionFeatures;
import dev.casa.vision.VisionTower;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ProcessedImage;

/**
 * A model's image path from its three parts: the image processor (pixels and layout), the vision tower
 * (features on a token grid) and the connector (embeddings of the language model's width). Every family
 * builds its {@link ImageEncoder} this way: SigLIP + projector, Qwen2-VL tower + patch merger, SigLIP over
 * tiles + pixel shuffle.
 */
public final class ComposedImageEncoder implements ImageEncoder {
    private final ImageProcessor processor;
    private final VisionTower tower;
    private final Connector connector;
    private final String description;

    public ComposedImageEncoder(ImageProcessor processor, VisionTower tower, Connector connector, String description) {
        this.processor = processor;
        this.tower = tower;
        this.connector = connector;
        this.description = description;
    }

    public ImageProcessor processor() { return processor; }

    public VisionTower tower() { return tower; }

    public Connector connector() { return connector; }

    @Override
    public ProcessedImage process(RgbImage image) {
        return processor.process(image);
    }

    @Override
    public EncodedImage encode(ProcessedImage pixels) {
        VisionFeatures e = connector.connect(tower.features(pixels));
        int tileRows = 0, tileCols = 0;
        if (pixels.layout() instanceof ImageLayout.Tiles t) {
            tileRows = t.rows();
            tileCols = t.cols();
        }
        return new EncodedImage(e.values(), e.rows(), e.width(), e.images() == 1 ? e.gridRows() : 0,
                e.images() == 1 ? e.gridCols() : 0, tileRows, tileCols);
    }

    @Override
    public int embeddingSize() { return connector.outputWidth(); }

    @Override
    public String describe() { return description; }
}
