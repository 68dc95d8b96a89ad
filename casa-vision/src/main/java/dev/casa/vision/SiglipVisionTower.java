package dev.casa.vision;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.Norms;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;

/**
 * HF {@code SiglipVisionModel} forward (model format §4.1) up to the selected features. The tokens
 * of all images in a batch are stacked so every Linear is one GEMM with M = images·N; attention
 * runs per image. Immutable and thread-safe: all state of a call lives in its {@link VisionScratch}.
 */
final class SiglipVisionTower {
    private final VisionModelConfig config;
    private final VisionConfig vc;
    private final SiglipWeights w;
    private final int layersToRun;

    SiglipVisionTower(VisionModelConfig config, SiglipWeights weights) {
        this.config = config;
        this.vc = config.vision();
        this.w = weights;
        this.layersToRun = config.layersToRun();
    }

    VisionModelConfig config() { return config; }

    /** Encoder layers a forward runs (fewer than the model has when an earlier feature layer is chosen). */
    int layersToRun() { return layersToRun; }

    /**
     * Features of {@code images} images stored as [B, C, S, S] from {@code pixelsOffset}, written as
     * [B, N, D] to {@code out} from {@code outOffset}. {@code out} may be {@code s.normed}.
     */
    void forward(ThreadPool pool, float[] pixels, int pixelsOffset, int images, VisionScratch s,
                 float[] out, int outOffset) {
        int n = vc.numPatches(), d = vc.hiddenSize(), tokens = images * n;
        embed(pool, pixels, pixelsOffset, images, s);
        for (int i = 0; i < layersToRun; i++) layer(pool, w.layers().get(i), images, s);
        if (config.usesPostLayerNorm()) {
            layerNorm(pool, s.hidden, w.postNormWeight(), w.postNormBias(), out, outOffset, tokens);
        } else {
            System.arraycopy(s.hidden, 0, out, outOffset, tokens * d);
        }
    }

    /** Patch conv as im2col + GEMM (+ bias), then + position embedding: hidden_states[0]. */
    private void embed(ThreadPool pool, float[] pixels, int pixelsOffset, int images, VisionScratch s) {
        int n = vc.numPatches(), d = vc.hiddenSize(), cpp = vc.patchVectorSize();
        pool.parallelFor(images * n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) im2colRow(pixels, pixelsOffset, t, s.wide, t * cpp);
        });
        Matmul.matmul(pool, s.wide, 0, images * n, w.patchWeight(), w.patchBias(), s.hidden, 0);
        float[] pos = w.positionEmbedding();
        pool.parallelFor(images, (b0, b1) -> {
            for (int b = b0; b < b1; b++) VectorMath.add(s.hidden, b * n * d, pos, 0, n * d);
        });
    }

    /**
     * Token t (image t/N, grid cell (t%N)/G, (t%N)%G) as the row (c, ky, kx) of the conv kernel's
     * flatten order, so that the row times weight[D, C·p·p]ᵀ is the conv output.
     */
    private void im2colRow(float[] pixels, int pixelsOffset, int t, float[] dst, int dstOffset) {
        int n = vc.numPatches(), g = vc.gridSize(), p = vc.patchSize(), size = vc.imageSize();
        int image = t / n, cell = t % n, py = cell / g, px = cell % g;
        int base = pixelsOffset + image * vc.pixelsPerImage();
        int o = dstOffset;
        for (int c = 0; c < vc.numChannels(); c++) {
            for (int ky = 0; ky < p; ky++) {
                int src = base + (c * size + py * p + ky) * size + px * p;
                System.arraycopy(pixels, src, dst, o, p);
                o += p;
            }
        }
    }

    private void layer(ThreadPool pool, SiglipWeights.Layer l, int images, VisionScratch s) {
        int n = vc.numPatches(), d = vc.hiddenSize(), tokens = images * n;
        int heads = vc.numAttentionHeads(), headDim = vc.headDim();
        float scale = (float) (1.0 / Math.sqrt(headDim));

        layerNorm(pool, s.hidden, l.norm1Weight(), l.norm1Bias(), s.normed, 0, tokens);
        Matmul.matmul(pool, s.normed, 0, tokens, l.q(), l.qBias(), s.q, 0);
        Matmul.matmul(pool, s.normed, 0, tokens, l.k(), l.kBias(), s.k, 0);
        Matmul.matmul(pool, s.normed, 0, tokens, l.v(), l.vBias(), s.v, 0);
        AttentionMask full = AttentionMask.full(n);
        for (int b = 0; b < images; b++) {
            int off = b * n * d;
            Attention.attend(pool, s.q, off, d, n, heads, headDim, s.k, off, s.v, off, d, n, heads,
                    full, scale, s.context, off, d);
        }
        Matmul.matmul(pool, s.context, 0, tokens, l.out(), l.outBias(), s.normed, 0);
        addRows(pool, s.hidden, s.normed, tokens, d);

        layerNorm(pool, s.hidden, l.norm2Weight(), l.norm2Bias(), s.normed, 0, tokens);
        Matmul.matmul(pool, s.normed, 0, tokens, l.fc1(), l.fc1Bias(), s.wide, 0);
        vc.hiddenAct().apply(pool, s.wide, 0, tokens, vc.intermediateSize());
        Matmul.matmul(pool, s.wide, 0, tokens, l.fc2(), l.fc2Bias(), s.normed, 0);
        addRows(pool, s.hidden, s.normed, tokens, d);
    }

    private void layerNorm(ThreadPool pool, float[] x, float[] weight, float[] bias, float[] out, int outOffset, int rows) {
        int d = vc.hiddenSize();
        float eps = vc.layerNormEps();
        pool.parallelFor(rows, (r0, r1) -> {
            for (int r = r0; r < r1; r++) Norms.layerNorm(x, r * d, weight, bias, eps, out, outOffset + r * d, d);
        });
    }

    private static void addRows(ThreadPool pool, float[] acc, float[] x, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> VectorMath.add(acc, r0 * width, x, r0 * width, (r1 - r0) * width));
    }
}
