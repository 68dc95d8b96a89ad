package dev.casa.image;

import dev.casa.vision.processor.Qwen2VLImageProcessor;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;

/** The checks and description shared by every model built on Qwen2-VL's image path. */
public final class Qwen2VLImages {
    private Qwen2VLImages() {}

    /** The processor must cut the patches the tower expects; one line for {@code casa info}. */
    public static String describe(Qwen2VLImageProcessor processor, Qwen2VisionTower tower) {
        var p = processor.config();
        var c = tower.config();
        if (!same(p.patchSize(), c.patchSize()) || !same(p.mergeSize(), c.spatialMergeSize())
                || !same(p.temporalPatchSize(), c.temporalPatchSize())) {
            throw new IllegalArgumentException("preprocessor_config.json (patch " + p.patchSize() + ", merge " + p.mergeSize()
                    + ", temporal " + p.temporalPatchSize() + ") does not match vision_config (patch " + c.patchSize() + ", merge "
                    + c.spatialMergeSize() + ", temporal " + c.temporalPatchSize() + ")");
        }
        return String.format("%s vision tower, depth %d, width %d, patch %d, merge %dx%d -> %d; pixels %d..%d",
                c.variant(), c.depth(), c.embedDim(), c.patchSize(), c.spatialMergeSize(), c.spatialMergeSize(),
                tower.outHiddenSize(), p.minPixels(), p.maxPixels());
    }

    /** The configs hold boxed Integers: compare values, never references. */
    private static boolean same(Integer a, Integer b) {
        return a.intValue() == b.intValue();
    }
}
