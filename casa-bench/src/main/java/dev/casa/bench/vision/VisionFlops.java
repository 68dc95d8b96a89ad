package dev.casa.bench.vision;

import dev.casa.vision.VisionModelConfig;
import dev.casa.vision.siglip.SiglipVisionConfig;

/** Floating-point operations of one image through the encoder: 2·M·N·K per matmul plus attention. */
final class VisionFlops {
    private VisionFlops() {}

    static double perImage(VisionModelConfig config, int projectorWidth) {
        SiglipVisionConfig v = config.vision();
        double n = v.numPatches(), d = v.hiddenSize(), i = v.intermediateSize();
        double patch = 2 * n * d * v.patchVectorSize();
        double projections = 4 * 2 * n * d * d;           // q, k, v, out
        double mlp = 2 * 2 * n * d * i;                   // fc1, fc2
        double attention = 2 * 2 * n * n * d;             // Q·Kᵀ and P·V over all heads
        double projector = 2 * n * projectorWidth * d + 2 * n * projectorWidth * projectorWidth;
        return patch + config.layersToRun() * (projections + mlp + attention) + projector;
    }
}
