package dev.casa.vision;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.vision.siglip.SiglipVisionConfig;
import dev.casa.vision.siglip.SiglipVisionTower;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Our format's images to image embeddings (model-format.md §4.1): the SigLIP tower under
 * {@value #TOWER_PREFIX} (features, [N, D] per image, up to {@code vision_feature_layer}) and the LLaVA
 * projector (embeddings, [N, d] per image). Input images are normalised float CHW [C, S, S] as made by
 * {@code dev.casa.vision.image}.
 *
 * <p>Thread-safe: one encoder may be shared by many threads. Each call takes buffers from internal pools
 * (allocated once per concurrent caller and reused, since touching fresh memory is slow).
 */
public final class VisionEncoder implements AutoCloseable {
    /** Where our format keeps the tower. */
    public static final String TOWER_PREFIX = "vision_tower.vision_model.";

    /** Images stacked into one forward pass; bounds the activation memory (so400m@384 with d = 2560: ~40 MB per image). */
    public static final int MAX_BATCH = 4;

    private final VisionModelConfig config;
    private final SiglipVisionTower tower;
    private final Projector projector;
    private final ThreadPool pool;
    private final TensorStore ownedStore;
    private final ConcurrentLinkedDeque<float[][]> buffers = new ConcurrentLinkedDeque<>();

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
     * vision tower and projector tensor against the config (model format §3); any other tensor under
     * the tower's or projector's prefix is an error naming it.
     */
    public static VisionEncoder load(VisionModelConfig config, TensorStore store, ThreadPool pool) {
        return load(config, new TensorBinder(store), pool);
    }

    /** As {@link #load(VisionModelConfig, TensorStore, ThreadPool)}, binding through {@code binder} (and its matrix policy). */
    public static VisionEncoder load(VisionModelConfig config, TensorBinder binder, ThreadPool pool) {
        Objects.requireNonNull(pool, "pool");
        SiglipVisionTower tower = SiglipVisionTower.bind(config.vision(), binder, TOWER_PREFIX, pool,
                config.layersToRun(), config.usesPostLayerNorm());
        Projector projector = Projector.bind(config, binder, pool);
        // head.* is SigLIP's pooling head; position_ids is a buffer older HF checkpoints saved.
        binder.rejectUnused(name -> {
            if (name.startsWith(TOWER_PREFIX)) {
                String rest = name.substring(TOWER_PREFIX.length());
                if (rest.startsWith("head.") || rest.equals("embeddings.position_ids")) return null;
                return "not part of the vision tower layout in the model format (a typo or an extra layer?)";
            }
            if (name.startsWith(Projector.PREFIX)) return "not part of the projector layout in the model format";
            return null;
        });
        return new VisionEncoder(config, tower, projector, pool, null);
    }

    /** {@link #load(VisionModelConfig, TensorStore, ThreadPool)} from the whole config.json tree. */
    public static VisionEncoder load(JsonNode configJson, TensorStore store, ThreadPool pool) {
        return load(VisionModelConfig.fromJson(configJson), store, pool);
    }

    /** {@link #load(VisionModelConfig, TensorBinder, ThreadPool)} from the whole config.json tree. */
    public static VisionEncoder load(JsonNode configJson, TensorBinder binder, ThreadPool pool) {
        return load(VisionModelConfig.fromJson(configJson), binder, pool);
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

    /** The SigLIP tower (shared with nothing else). */
    public SiglipVisionTower tower() { return tower; }

    /** The LLaVA projector. */
    public Projector projector() { return projector; }

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
        int per = config.vision().pixelsPerImage(), side = imageSize();
        float[][] buf = project ? acquire() : null;
        try {
            for (int start = 0; start < images; start += MAX_BATCH) {
                int count = Math.min(MAX_BATCH, images - start);
                int pix = pixelsOffset + start * per;
                int dst = outOffset + start * n * width;
                if (project) {
                    tower.forward(pixels, pix, count, side, buf[0], 0);
                    projector.forward(pool, buf[0], count * n, buf[1], out, dst);
                } else {
                    tower.forward(pixels, pix, count, side, out, dst);
                }
            }
        } finally {
            if (buf != null) buffers.push(buf);
        }
    }

    /** Features and projector-hidden buffers for one chunk of {@link #MAX_BATCH} images. */
    private float[][] acquire() {
        float[][] b = buffers.poll();
        if (b != null) return b;
        int rows = MAX_BATCH * tokensPerImage();
        return new float[][] {new float[rows * featureSize()], new float[rows * embeddingSize()]};
    }

    private void checkLength(float[] pixels, int offset, int images, String what) {
        SiglipVisionConfig vc = config.vision();
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
            SiglipVisionConfig vc = config.vision();
            throw new IllegalArgumentException(what + ": holds " + pixels.length + " floats, expected " + expected
                    + " for " + images + " image(s) of [C=" + vc.numChannels() + ", " + vc.imageSize() + ", "
                    + vc.imageSize() + "]");
        }
    }

    /** Closes the weights if this encoder opened them ({@link #open}); otherwise drops the buffers only. */
    @Override
    public void close() {
        buffers.clear();
        tower.releaseBuffers();
        if (ownedStore != null) ownedStore.close();
    }
}
