package dev.casa.vision;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Images to image embeddings: the SigLIP tower (features, [N, D] per image) and the projector
 * (embeddings, [N, d] per image). Input images are normalised float CHW [C, S, S] as made by
 * {@code dev.casa.vision.image}.
 *
 * <p>Thread-safe: one encoder may be shared by many threads. Each call takes activation buffers
 * from an internal pool (allocated once per concurrent caller and reused, since touching fresh
 * memory is slow), so concurrent calls never share state.
 */
public final class VisionEncoder implements AutoCloseable {

    /** Images stacked into one forward pass; bounds the activation memory (so400m@384 with d = 2560: ~40 MB per image). */
    public static final int MAX_BATCH = 4;

    private final VisionModelConfig config;
    private final SiglipVisionTower tower;
    private final Projector projector;
    private final ThreadPool pool;
    private final TensorStore ownedStore;
    private final ConcurrentLinkedDeque<VisionScratch> scratches = new ConcurrentLinkedDeque<>();

    private VisionEncoder(VisionModelConfig config, SiglipVisionTower tower, Projector projector, ThreadPool pool,
                          TensorStore ownedStore) {
        this.config = config;
        this.tower = tower;
        this.projector = projector;
        this.pool = pool;
        this.ownedStore = ownedStore;
    }

    /**
     * Builds the encoder over {@code store} (which the caller keeps open and closes), checking every
     * vision tower and projector tensor against the config (model format §3).
     */
    public static VisionEncoder load(VisionModelConfig config, TensorStore store, ThreadPool pool) {
        Objects.requireNonNull(pool, "pool");
        SiglipWeights weights = SiglipWeights.load(config, store);
        Projector projector = Projector.load(config, store);
        return new VisionEncoder(config, new SiglipVisionTower(config, weights), projector, pool, null);
    }

    /** {@link #load(VisionModelConfig, TensorStore, ThreadPool)} from the whole config.json tree. */
    public static VisionEncoder load(JsonNode configJson, TensorStore store, ThreadPool pool) {
        return load(VisionModelConfig.fromJson(configJson), store, pool);
    }

    /** Opens a model directory (config.json + safetensors); {@link #close()} closes the weights. */
    public static VisionEncoder open(Path modelDir, ThreadPool pool) {
        VisionModelConfig config = VisionModelConfig.read(modelDir.resolve("config.json"));
        TensorStore store = ModelWeights.open(modelDir);
        try {
            VisionEncoder e = load(config, store, pool);
            return new VisionEncoder(e.config, e.tower, e.projector, pool, store);
        } catch (RuntimeException ex) {
            store.close();
            throw ex;
        }
    }

    public VisionModelConfig config() { return config; }

    /** N = (S/p)², tokens (embeddings) per image. */
    public int tokensPerImage() { return config.vision().numPatches(); }

    /** S, the side of the square input image. */
    public int imageSize() { return config.vision().imageSize(); }

    /** C, channels of the input image. */
    public int numChannels() { return config.vision().numChannels(); }

    /** D, width of the vision features. */
    public int featureSize() { return config.vision().hiddenSize(); }

    /** d, width of the image embeddings (the text hidden size). */
    public int embeddingSize() { return projector.outputSize(); }

    /** Image embeddings [N, d] of one image [C, S, S]. */
    public float[] encode(float[] pixelsChw) {
        return encodeBatch(pixelsChw, 1);
    }

    /** Vision features [N, D] (before the projector) of one image [C, S, S]. */
    public float[] features(float[] pixelsChw) {
        return featuresBatch(pixelsChw, 1);
    }

    /** Image embeddings, one [N, d] array per image. */
    public List<float[]> encode(List<float[]> images) {
        return perImage(images, true);
    }

    /** Vision features, one [N, D] array per image. */
    public List<float[]> features(List<float[]> images) {
        return perImage(images, false);
    }

    /** Embeddings [B, N, d] of {@code images} images stored contiguously as [B, C, S, S]. */
    public float[] encodeBatch(float[] pixels, int images) {
        checkExactLength(pixels, images, "pixels");
        float[] out = new float[Math.multiplyExact(images, tokensPerImage() * embeddingSize())];
        encodeBatch(pixels, 0, images, out, 0);
        return out;
    }

    /** Features [B, N, D] of {@code images} images stored contiguously as [B, C, S, S]. */
    public float[] featuresBatch(float[] pixels, int images) {
        checkExactLength(pixels, images, "pixels");
        float[] out = new float[Math.multiplyExact(images, tokensPerImage() * featureSize())];
        featuresBatch(pixels, 0, images, out, 0);
        return out;
    }

    /** Embeddings of [B, C, S, S] pixels from {@code pixelsOffset} written as [B, N, d] into {@code out} from {@code outOffset}. */
    public void encodeBatch(float[] pixels, int pixelsOffset, int images, float[] out, int outOffset) {
        run(pixels, pixelsOffset, images, out, outOffset, true);
    }

    /** Features of [B, C, S, S] pixels from {@code pixelsOffset} written as [B, N, D] into {@code out} from {@code outOffset}. */
    public void featuresBatch(float[] pixels, int pixelsOffset, int images, float[] out, int outOffset) {
        run(pixels, pixelsOffset, images, out, outOffset, false);
    }

    private List<float[]> perImage(List<float[]> images, boolean project) {
        int per = config.vision().pixelsPerImage();
        List<float[]> result = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += MAX_BATCH) {
            int count = Math.min(MAX_BATCH, images.size() - start);
            float[] stacked = new float[count * per];
            for (int i = 0; i < count; i++) {
                float[] img = images.get(start + i);
                checkExactLength(img, 1, "image " + (start + i));
                System.arraycopy(img, 0, stacked, i * per, per);
            }
            float[] out = project ? encodeBatch(stacked, count) : featuresBatch(stacked, count);
            int width = tokensPerImage() * (project ? embeddingSize() : featureSize());
            for (int i = 0; i < count; i++) {
                float[] one = new float[width];
                System.arraycopy(out, i * width, one, 0, width);
                result.add(one);
            }
        }
        return result;
    }

    private void run(float[] pixels, int pixelsOffset, int images, float[] out, int outOffset, boolean project) {
        if (images < 0) throw new IllegalArgumentException("images must be >= 0, got " + images);
        checkLength(pixels, pixelsOffset, images, "pixels");
        int n = tokensPerImage();
        int width = project ? embeddingSize() : featureSize();
        long needed = (long) outOffset + (long) images * n * width;
        if (outOffset < 0 || needed > out.length) {
            throw new IllegalArgumentException("output holds " + out.length + " floats, needs " + needed
                    + " for " + images + " images of [" + n + ", " + width + "] from offset " + outOffset);
        }
        if (images == 0) return;
        VisionScratch s = acquire(Math.min(images, MAX_BATCH));
        try {
            int per = config.vision().pixelsPerImage();
            for (int start = 0; start < images; start += s.images) {
                int count = Math.min(s.images, images - start);
                int pix = pixelsOffset + start * per;
                int dst = outOffset + start * n * width;
                if (project) {
                    tower.forward(pool, pixels, pix, count, s, s.normed, 0);
                    projector.forward(pool, s.normed, 0, count * n, s.projected, out, dst);
                } else {
                    tower.forward(pool, pixels, pix, count, s, out, dst);
                }
            }
        } finally {
            scratches.push(s);
        }
    }

    private void checkLength(float[] pixels, int offset, int images, String what) {
        VisionConfig vc = config.vision();
        long needed = (long) offset + (long) images * vc.pixelsPerImage();
        if (offset < 0 || needed > pixels.length) {
            throw new IllegalArgumentException(what + ": holds " + pixels.length + " floats, needs " + needed + " for "
                    + images + " image(s) of [C=" + vc.numChannels() + ", " + vc.imageSize() + ", " + vc.imageSize()
                    + "] from offset " + offset);
        }
    }

    /** Whole-array inputs must hold exactly the images: a wrongly sized image is not silently cropped. */
    private void checkExactLength(float[] pixels, int images, String what) {
        long expected = (long) images * config.vision().pixelsPerImage();
        if (pixels.length != expected) {
            VisionConfig vc = config.vision();
            throw new IllegalArgumentException(what + ": holds " + pixels.length + " floats, expected " + expected
                    + " for " + images + " image(s) of [C=" + vc.numChannels() + ", " + vc.imageSize() + ", "
                    + vc.imageSize() + "]");
        }
    }

    /** A free scratch able to hold {@code images} images; a too-small one is dropped and replaced. */
    private VisionScratch acquire(int images) {
        VisionScratch s = scratches.poll();
        if (s != null && s.images >= images) return s;
        return new VisionScratch(config.vision(), embeddingSize(), images);
    }

    /** Closes the weights if this encoder opened them ({@link #open}); otherwise does nothing. */
    @Override
    public void close() {
        scratches.clear();
        if (ownedStore != null) ownedStore.close();
    }
}
