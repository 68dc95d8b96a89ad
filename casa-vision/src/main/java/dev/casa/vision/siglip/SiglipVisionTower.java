package dev.casa.vision.siglip;

import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.Matmul;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.LayerNorm;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Tensor;
import dev.casa.vision.VisionFeatures;
import dev.casa.vision.VisionTower;
import dev.casa.vision.processor.ProcessedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The SigLIP vision transformer as HF v4.51.3 computes it, for both classes that use it
 * ({@link SiglipVisionConfig.Variant}): {@code SiglipVisionTransformer} (our format) and
 * {@code Idefics3VisionTransformer} / {@code SmolVLMVisionTransformer}. Square images {@code [C, S, S]}
 * become {@code (S/p)²} features of width D:
 * <ol>
 *   <li>embeddings: the stride-p patch conv as im2col + one GEMM with bias, plus the learned position
 *       embedding at {@link PatchPositions} (plain for SigLIP; bucketed for Idefics3, which accepts any S);</li>
 *   <li>{@link SiglipEncoderLayer}s, every image of a call attending over its own patches only;</li>
 *   <li>{@code post_layernorm}.</li>
 * </ol>
 * Tensor names are HF's under a prefix ({@code model.vision_model.} for Idefics3/SmolVLM,
 * {@code vision_tower.vision_model.} in our format). The tokens of all images of a call are stacked so
 * each Linear is one GEMM. A caller may run fewer layers and skip {@code post_layernorm} (LLaVA's
 * {@code vision_feature_layer}).
 *
 * <p>Immutable and thread-safe: concurrent calls each take activation buffers from an internal pool
 * (allocated once per concurrent caller, grown for larger calls, then reused).
 */
public final class SiglipVisionTower implements VisionTower {
    /** Tiles (or images) stacked into one pass by {@link #features}: bounds the activation memory. */
    public static final int IMAGES_PER_PASS = 4;

    private final SiglipVisionConfig config;
    private final Tensor patchWeight;   // conv kernel [D, C, p, p] viewed as [D, C·p·p]
    private final float[] patchBias;
    private final float[] positionTable; // [N, D]
    private final List<SiglipEncoderLayer> layers;
    private final int layersToRun;
    private final LayerNorm postLayerNorm; // null when not applied
    private final ThreadPool pool;
    private final ConcurrentLinkedDeque<SiglipScratch> scratches = new ConcurrentLinkedDeque<>();

    private SiglipVisionTower(SiglipVisionConfig config, Tensor patchWeight, float[] patchBias, float[] positionTable,
                              List<SiglipEncoderLayer> layers, int layersToRun, LayerNorm postLayerNorm, ThreadPool pool) {
        this.config = config;
        this.patchWeight = patchWeight;
        this.patchBias = patchBias;
        this.positionTable = positionTable;
        this.layers = List.copyOf(layers);
        this.layersToRun = layersToRun;
        this.postLayerNorm = postLayerNorm;
        this.pool = pool;
    }

    /** Every layer and {@code post_layernorm} (HF's {@code last_hidden_state}). */
    public static SiglipVisionTower bind(SiglipVisionConfig config, TensorBinder binder, String prefix, ThreadPool pool) {
        return bind(config, binder, prefix, pool, config.numHiddenLayers(), true);
    }

    /**
     * Binds the tower's tensors under {@code prefix}: a missing or mis-shaped tensor is a
     * {@link ModelFormatException} naming it. Every layer is bound (and checked) even when fewer run;
     * {@code post_layernorm} is required when applied and bound if present otherwise. Tensors the caller
     * does not bind stay unbound: reject leftovers with {@link TensorBinder#rejectUnused}.
     *
     * @param layersToRun   encoder layers a forward runs, {@code 0..num_hidden_layers}
     * @param postLayerNorm whether the output is {@code post_layernorm} of the last layer run
     */
    public static SiglipVisionTower bind(SiglipVisionConfig config, TensorBinder binder, String prefix, ThreadPool pool,
                                         int layersToRun, boolean postLayerNorm) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(pool, "pool");
        if (layersToRun < 0 || layersToRun > config.numHiddenLayers()) {
            throw new IllegalArgumentException("layersToRun " + layersToRun + " outside [0, " + config.numHiddenLayers() + "]");
        }
        int d = config.hiddenSize(), p = config.patchSize(), ch = config.numChannels();
        String e = prefix + "embeddings.";
        Tensor conv = binder.tensor(e + "patch_embedding.weight", d, ch, p, p);
        Tensor patchWeight = new Tensor(conv.name(), conv.format(), new long[] {d, (long) ch * p * p}, conv.data());
        float[] patchBias = binder.vector(e + "patch_embedding.bias", d);
        float[] positions = binder.tensor(e + "position_embedding.weight", config.numPatches(), d).toFloatArray();
        List<SiglipEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(SiglipEncoderLayer.bind(binder, prefix + "encoder.layers." + i + ".", config));
        }
        String post = prefix + "post_layernorm";
        LayerNorm norm;
        if (postLayerNorm) {
            norm = binder.layerNorm(post, d, config.layerNormEps());
        } else {
            binder.optionalTensor(post + ".weight", d);
            binder.optionalTensor(post + ".bias", d);
            norm = null;
        }
        return new SiglipVisionTower(config, patchWeight, patchBias, positions, layers, layersToRun, norm, pool);
    }

    public SiglipVisionConfig config() { return config; }

    /**
     * Features of one processed picture: {@code [C, S, S]} (one image) or {@code [tiles, C, S, S]} (Idefics3's
     * tiles and global image), {@value #IMAGES_PER_PASS} images per pass.
     */
    @Override
    public VisionFeatures features(ProcessedImage processed) {
        long[] shape = processed.shape();
        int images = shape.length == 4 ? Math.toIntExact(shape[0]) : 1;
        int at = shape.length == 4 ? 1 : 0;
        if (shape.length < 3 || shape.length > 4 || shape[at] != config.numChannels() || shape[at + 1] != shape[at + 2]) {
            throw new IllegalArgumentException("SigLIP takes square images [C=" + config.numChannels() + ", S, S] or tiles"
                    + " [n, C, S, S], got pixels of shape " + java.util.Arrays.toString(shape));
        }
        int side = Math.toIntExact(shape[at + 1]);
        checkSide(side);
        int n = tokens(side), d = hiddenSize(), per = pixels(side), g = side / config.patchSize();
        float[] out = new float[Math.toIntExact((long) images * n * d)];
        for (int start = 0; start < images; start += IMAGES_PER_PASS) {
            int count = Math.min(IMAGES_PER_PASS, images - start);
            forward(processed.pixels(), start * per, count, side, out, start * n * d);
        }
        return new VisionFeatures(out, images, n, d, g, g);
    }

    @Override
    public int featureWidth() { return hiddenSize(); }

    /** Feature width D. */
    public int hiddenSize() { return config.hiddenSize(); }

    /** Encoder layers a forward runs. */
    public int layersToRun() { return layersToRun; }

    /** Features of one {@code side × side} image: {@code (side/p)²}. */
    public int tokens(int side) {
        int g = side / config.patchSize();
        return g * g;
    }

    /** Floats of one {@code side × side} image, C·S·S. */
    public int pixels(int side) {
        return config.numChannels() * side * side;
    }

    /** Features {@code [images, (S/p)², D]} of {@code images} images {@code [C, S, S]} stored contiguously. */
    public float[] forward(float[] pixels, int images, int side) {
        long expected = (long) images * pixels(side);
        if (images < 0 || pixels.length != expected) {
            throw new IllegalArgumentException("pixels: holds " + pixels.length + " floats, expected " + expected + " for "
                    + images + " image(s) of [C=" + config.numChannels() + ", " + side + ", " + side + "]");
        }
        float[] out = new float[Math.toIntExact((long) images * tokens(side) * hiddenSize())];
        forward(pixels, 0, images, side, out, 0);
        return out;
    }

    /**
     * Features of {@code images} images {@code [C, S, S]} from {@code pixels[pixelOffset]}, written as
     * {@code [images, (S/p)², D]} to {@code out[outOffset]}, in one pass.
     */
    public void forward(float[] pixels, int pixelOffset, int images, int side, float[] out, int outOffset) {
        checkSide(side);
        if (images < 0) throw new IllegalArgumentException("images must be >= 0, got " + images);
        long needPixels = (long) pixelOffset + (long) images * pixels(side);
        if (pixelOffset < 0 || needPixels > pixels.length) {
            throw new IllegalArgumentException("pixels: holds " + pixels.length + " floats, needs " + needPixels + " for "
                    + images + " image(s) of [C=" + config.numChannels() + ", " + side + ", " + side + "] from offset " + pixelOffset);
        }
        int n = tokens(side), d = hiddenSize();
        long tokens = (long) images * n;
        long needOut = (long) outOffset + tokens * d;
        if (outOffset < 0 || needOut > out.length) {
            throw new IllegalArgumentException("output holds " + out.length + " floats, needs " + needOut + " for "
                    + images + " image(s) of [" + n + ", " + d + "] from offset " + outOffset);
        }
        if (images == 0) return;
        if (tokens * Math.max(d, Math.max(config.intermediateSize(), config.patchVectorSize())) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(images + " images of " + side + " px are too many for one pass");
        }
        SiglipScratch s = acquire((int) tokens);
        try {
            run(pixels, pixelOffset, images, side, s, out, outOffset);
        } finally {
            scratches.push(s);
        }
    }

    private void run(float[] pixels, int pixelOffset, int images, int side, SiglipScratch s, float[] out, int outOffset) {
        int n = tokens(side), d = hiddenSize(), tokens = images * n;
        embed(pixels, pixelOffset, images, side, s);
        int[] cu = new int[images + 1];
        for (int i = 1; i <= images; i++) cu[i] = i * n;
        AttentionMask perImage = AttentionMask.segments(cu);
        for (int i = 0; i < layersToRun; i++) layers.get(i).forward(pool, s, tokens, perImage);
        if (postLayerNorm != null) {
            pool.parallelFor(tokens, (r0, r1) -> postLayerNorm.forward(s.hidden, r0 * d, r1 - r0, out, outOffset + r0 * d));
        } else {
            System.arraycopy(s.hidden, 0, out, outOffset, tokens * d);
        }
    }

    /** Patch conv as im2col + GEMM (+ bias), then + the position embedding rows: hidden_states[0]. */
    private void embed(float[] pixels, int pixelOffset, int images, int side, SiglipScratch s) {
        int g = side / config.patchSize(), n = g * g, d = hiddenSize(), cpp = config.patchVectorSize();
        pool.parallelFor(images * n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) im2colRow(pixels, pixelOffset, side, g, t, s.wide, t * cpp);
        });
        Matmul.matmul(pool, s.wide, 0, images * n, patchWeight, patchBias, s.hidden, 0);
        int[] ids = positionIds(g);
        pool.parallelFor(images * n, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                dev.casa.core.kernels.VectorMath.add(s.hidden, t * d, positionTable, ids[t % n] * d, d);
            }
        });
    }

    /** Position rows of a {@code g × g} patch grid (see {@link PatchPositions}). */
    int[] positionIds(int g) {
        return config.variant() == SiglipVisionConfig.Variant.IDEFICS3
                ? PatchPositions.bucketed(g, g, config.gridSize())
                : PatchPositions.plain(g);
    }

    /**
     * Token t (image t/N, grid cell (t%N)/g, (t%N)%g) as the row (c, ky, kx) of the conv kernel's
     * flatten order, so that the row times weight[D, C·p·p]ᵀ is the conv output.
     */
    private void im2colRow(float[] pixels, int pixelOffset, int side, int g, int t, float[] dst, int dstOffset) {
        int n = g * g, p = config.patchSize();
        int image = t / n, cell = t % n, py = cell / g, px = cell % g;
        int base = pixelOffset + image * pixels(side);
        int o = dstOffset;
        for (int c = 0; c < config.numChannels(); c++) {
            for (int ky = 0; ky < p; ky++) {
                System.arraycopy(pixels, base + (c * side + py * p + ky) * side + px * p, dst, o, p);
                o += p;
            }
        }
    }

    /** SigLIP's table has one row per patch of an image_size image; Idefics3 buckets any grid onto it. */
    private void checkSide(int side) {
        if (config.variant() == SiglipVisionConfig.Variant.SIGLIP) {
            if (side != config.imageSize()) {
                throw new IllegalArgumentException("this SigLIP tower takes " + config.imageSize() + "x" + config.imageSize()
                        + " images, got " + side + "x" + side);
            }
        } else if (side < config.patchSize()) {
            throw new IllegalArgumentException("image side " + side + " is smaller than the patch size " + config.patchSize());
        }
    }

    private SiglipScratch acquire(int tokens) {
        SiglipScratch s = scratches.poll();
        if (s != null && s.capacity >= tokens) return s;
        return new SiglipScratch(config, Math.max(tokens, s == null ? 0 : s.capacity));
    }

    /** Drops the cached activation buffers. */
    public void releaseBuffers() {
        scratches.clear();
    }
}
