package dev.casa.image;

import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ProcessedImage;
import dev.casa.vision.processor.Qwen2VLImageProcessor;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;

/**
 * Qwen2-VL / Qwen2.5-VL images: {@code Qwen2VLImageProcessor} (smart_resize, patches in merge order), the
 * vision tower and its patch merger. An image of grid (1, h, w) patches gives (h/2)·(w/2) embeddings in
 * raster order of the merged grid.
 */
public final class Qwen2VLImageEncoder implements ImageEncoder {
    private final Qwen2VLImageProcessor processor;
    private final Qwen2VisionTower tower;

    public Qwen2VLImageEncoder(Qwen2VLImageProcessor processor, Qwen2VisionTower tower) {
        this.processor = processor;
        this.tower = tower;
        if (!same(processor.config().patchSize(), tower.config().patchSize())
                || !same(processor.config().mergeSize(), tower.config().spatialMergeSize())
                || !same(processor.config().temporalPatchSize(), tower.config().temporalPatchSize())) {
            throw new IllegalArgumentException("preprocessor_config.json (patch " + processor.config().patchSize() + ", merge "
                    + processor.config().mergeSize() + ", temporal " + processor.config().temporalPatchSize()
                    + ") does not match vision_config (patch " + tower.config().patchSize() + ", merge "
                    + tower.config().spatialMergeSize() + ", temporal " + tower.config().temporalPatchSize() + ")");
        }
    }

    /** The configs hold boxed Integers: compare values, never references. */
    private static boolean same(Integer a, Integer b) {
        return a.intValue() == b.intValue();
    }

    public Qwen2VisionTower tower() { return tower; }

    @Override
    public ProcessedImage process(RgbImage image) {
        return processor.process(image);
    }

    @Override
    public EncodedImage encode(ProcessedImage pixels) {
        if (!(pixels.layout() instanceof ImageLayout.PatchGrid g)) {
            throw new IllegalArgumentException("a Qwen-VL image needs a patch grid, got " + pixels.layout());
        }
        if (g.t() != 1) throw new IllegalArgumentException("still images only: grid_t must be 1, got " + g.t());
        float[] embeddings = tower.forward(pixels.pixels(), g.t(), g.h(), g.w());
        return new EncodedImage(embeddings, g.tokens(), tower.outHiddenSize(), g.mergedRows(), g.mergedCols());
    }

    @Override
    public int embeddingSize() { return tower.outHiddenSize(); }

    @Override
    public String describe() {
        var c = tower.config();
        return String.format("%s vision tower, depth %d, width %d, patch %d, merge %dx%d -> %d; pixels %d..%d",
                c.variant(), c.depth(), c.embedDim(), c.patchSize(), c.spatialMergeSize(), c.spatialMergeSize(),
                tower.outHiddenSize(), processor.config().minPixels(), processor.config().maxPixels());
    }
}
