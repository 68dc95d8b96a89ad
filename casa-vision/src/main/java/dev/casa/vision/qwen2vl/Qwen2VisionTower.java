package dev.casa.vision.qwen2vl;

import dev.casa.vision.VisionFeatures;
import dev.casa.vision.VisionTower;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.processor.ProcessedImage;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The Qwen2.5-VL / Qwen2-VL vision tower, HF v4.51.3 {@code Qwen2_5_VisionTransformerPretrainedModel} /
 * {@code Qwen2VisionTransformerPretrainedModel}: {@code pixel_values} rows (the image processor's
 * output, one patch of C·T·P·P floats per row) and their {@code image_grid_thw} to the merged image
 * embeddings, {@code t·h·w / merge²} rows of {@link #outHiddenSize} per image.
 *
 * <p>Forward: the patch embedding ({@link VisionPatchEmbed}) over all rows at once, in the window order of
 * {@link WindowIndex} (Qwen2.5-VL; the input order for Qwen2-VL); the 2-D rotary table for every row;
 * {@link Qwen2VisionBlock}s, each attending within windows or within image frames through one segment-masked
 * attention call; the {@link PatchMerger}; and the merged rows put back in input order. Every projection
 * is one GEMM over all patches of all images of the call.
 *
 * <p>Immutable and thread-safe: concurrent calls each take activation buffers from an internal pool
 * (allocated once per concurrent caller, grown for larger inputs, then reused).
 */
public final class Qwen2VisionTower implements VisionTower, AutoCloseable {
    /** Tensor prefix of hub checkpoints (and of transformers ≤ 4.51 saves). */
    public static final String HUB_PREFIX = "visual.";
    /** Tensor prefix of checkpoints re-saved by transformers ≥ 4.52. */
    public static final String RESAVED_PREFIX = "model.visual.";

    private final Qwen2VisionConfig config;
    private final VisionPatchEmbed patchEmbed;
    private final List<Qwen2VisionBlock> blocks;
    private final PatchMerger merger;
    private final RotaryEmbedding rope;
    private final ThreadPool pool;
    private final TensorStore ownedStore;
    private final ConcurrentLinkedDeque<Qwen2VisionScratch> scratches = new ConcurrentLinkedDeque<>();

    private Qwen2VisionTower(Qwen2VisionConfig config, VisionPatchEmbed patchEmbed, List<Qwen2VisionBlock> blocks,
                             PatchMerger merger, ThreadPool pool, TensorStore ownedStore) {
        this.config = config;
        this.patchEmbed = patchEmbed;
        this.blocks = List.copyOf(blocks);
        this.merger = merger;
        this.rope = RotaryEmbedding.vision2d(config.headDim(), Qwen2VisionConfig.ROPE_THETA);
        this.pool = pool;
        this.ownedStore = ownedStore;
    }

    /**
     * Binds every tensor of the tower under {@code prefix} ({@link #HUB_PREFIX} or {@link #RESAVED_PREFIX})
     * through {@code binder}: a missing or mis-shaped tensor is a {@link ModelFormatException} naming it.
     * Tensors the caller does not bind stay unbound; reject leftovers with {@link #rejectUnused}.
     */
    public static Qwen2VisionTower load(Qwen2VisionConfig config, TensorBinder binder, String prefix, ThreadPool pool) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(prefix, "prefix");
        VisionPatchEmbed embed = VisionPatchEmbed.bind(binder, prefix + "patch_embed.proj.weight", config);
        List<Qwen2VisionBlock> blocks = new ArrayList<>(config.depth());
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(Qwen2VisionBlock.bind(binder, prefix + "blocks." + i + ".", config, i));
        }
        PatchMerger merger = PatchMerger.bind(binder, prefix + "merger.", config, pool);
        return new Qwen2VisionTower(config, embed, blocks, merger, pool, null);
    }

    /**
     * Binds the tower from {@code store} (kept open and closed by the caller) and rejects any other
     * tensor under {@code prefix}; tensors outside the prefix (the language model) are left alone.
     */
    public static Qwen2VisionTower load(Qwen2VisionConfig config, TensorStore store, String prefix, ThreadPool pool) {
        return loadRejectingUnused(config, new TensorBinder(store), prefix, pool);
    }

    /** As {@link #load(Qwen2VisionConfig, TensorStore, String, ThreadPool)}, binding through {@code binder} (and its matrix policy). */
    public static Qwen2VisionTower loadRejectingUnused(Qwen2VisionConfig config, TensorBinder binder, String prefix, ThreadPool pool) {
        Qwen2VisionTower tower = load(config, binder, prefix, pool);
        rejectUnused(binder, prefix);
        return tower;
    }

    /**
     * Opens the tower of a model directory (config.json + safetensors): the vision config as
     * {@link Qwen2VisionConfig#read}, the prefix as {@link #detectPrefix}. {@link #close} closes the weights.
     */
    public static Qwen2VisionTower open(Path modelDir, ThreadPool pool) {
        Qwen2VisionConfig config = Qwen2VisionConfig.read(JsonConfig.read(modelDir.resolve("config.json")));
        TensorStore store = ModelWeights.open(modelDir);
        try {
            Qwen2VisionTower t = load(config, store, detectPrefix(store), pool);
            return new Qwen2VisionTower(config, t.patchEmbed, t.blocks, t.merger, pool, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** {@link #HUB_PREFIX} or {@link #RESAVED_PREFIX}, whichever holds the patch embedding; else an error. */
    public static String detectPrefix(TensorStore store) {
        for (String prefix : new String[] {HUB_PREFIX, RESAVED_PREFIX}) {
            if (store.find(prefix + "patch_embed.proj.weight").isPresent()) return prefix;
        }
        throw new ModelFormatException("no Qwen-VL vision tower in " + store.describe() + ": neither '" + HUB_PREFIX
                + "patch_embed.proj.weight' nor '" + RESAVED_PREFIX + "patch_embed.proj.weight' is present");
    }

    /** Rejects (names) every tensor under {@code prefix} that {@code binder} did not bind. */
    public static void rejectUnused(TensorBinder binder, String prefix) {
        binder.rejectUnused(name -> name.startsWith(prefix) ? "not a tensor of the vision tower" : null);
    }

    public Qwen2VisionConfig config() { return config; }

    /** Tower width D. */
    public int embedDim() { return config.embedDim(); }

    /** Width of the output rows (the merger's output, the language model's hidden size). */
    public int outHiddenSize() { return merger.outputWidth(); }

    /** Floats per {@code pixel_values} row: C·T·P·P. */
    public int patchVectorSize() { return patchEmbed.patchVectorSize(); }

    /** Output rows of one image: {@code t·h·w / merge²}. */
    public int tokens(GridThw grid) { return grid.tokens(config.spatialMergeSize()); }

    /** Image embeddings {@code [t·h·w / merge², outHiddenSize]} of one image's {@code pixel_values [t·h·w, C·T·P·P]}. */
    public float[] forward(float[] pixelValues, int gridT, int gridH, int gridW) {
        return encode(pixelValues, List.of(new GridThw(gridT, gridH, gridW)));
    }

    /**
     * The embeddings of several images in one pass, as HF does: {@code pixelValues} are the images' rows
     * concatenated in order ({@code Σ t·h·w} rows), the result their merged rows in the same order.
     */
    public float[] encode(float[] pixelValues, List<GridThw> grids) {
        long rows = checkGrids(grids);
        long expected = rows * patchVectorSize();
        if (pixelValues.length != expected) throw badPixels(pixelValues.length, 0, grids, rows);
        float[] out = new float[Math.toIntExact(totalTokens(grids) * (long) outHiddenSize())];
        encode(pixelValues, 0, grids, out, 0);
        return out;
    }

    /** One array of embeddings per image; {@code pixelValues.get(i)} are image i's rows. One pass for all. */
    public List<float[]> encodeEach(List<float[]> pixelValues, List<GridThw> grids) {
        if (pixelValues.size() != grids.size()) {
            throw new IllegalArgumentException(pixelValues.size() + " pixel arrays for " + grids.size() + " grids");
        }
        checkGrids(grids);
        long total = 0;
        for (int i = 0; i < grids.size(); i++) {
            long want = (long) grids.get(i).patches() * patchVectorSize();
            if (pixelValues.get(i).length != want) {
                throw new IllegalArgumentException("image " + i + ": pixel_values hold " + pixelValues.get(i).length
                        + " floats, grid " + grids.get(i) + " needs " + grids.get(i).patches() + " rows of C·T·P·P = "
                        + patchVectorSize() + " = " + want);
            }
            total += want;
        }
        float[] all = new float[Math.toIntExact(total)];
        int at = 0;
        for (float[] p : pixelValues) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        float[] out = encode(all, grids);
        List<float[]> result = new ArrayList<>(grids.size());
        int from = 0;
        for (GridThw g : grids) {
            int len = tokens(g) * outHiddenSize();
            result.add(java.util.Arrays.copyOfRange(out, from, from + len));
            from += len;
        }
        return result;
    }

    /**
     * {@link #encode(float[], List)} reading the rows from {@code pixelOffset} and writing the merged rows
     * to {@code out} from {@code outOffset}.
     */
    public void encode(float[] pixelValues, int pixelOffset, List<GridThw> grids, float[] out, int outOffset) {
        long rows = checkGrids(grids);
        int cttp = patchVectorSize(), width = outHiddenSize();
        if (pixelOffset < 0 || pixelOffset + rows * cttp > pixelValues.length) {
            throw badPixels(pixelValues.length, pixelOffset, grids, rows);
        }
        long needed = (long) outOffset + totalTokens(grids) * width;
        if (outOffset < 0 || needed > out.length) {
            throw new IllegalArgumentException("output holds " + out.length + " floats, needs " + needed + " for "
                    + totalTokens(grids) + " rows of " + width + " from offset " + outOffset);
        }
        WindowIndex index = WindowIndex.of(grids, config.spatialMergeSize(), config.windowUnits());
        int n = index.patches();
        if (n == 0) return;
        Qwen2VisionScratch s = acquire(n);
        try {
            run(pixelValues, pixelOffset, index, s, out, outOffset);
        } finally {
            scratches.push(s);
        }
    }

    private void run(float[] pixels, int pixelOffset, WindowIndex index, Qwen2VisionScratch s, float[] out, int outOffset) {
        int n = index.patches();
        float[] features = hiddenStates(pixels, pixelOffset, index, s);
        // ln_q may work in place: the features become the merger's normed rows.
        merger.forward(pool, features, n, features, s.context, out, outOffset);
    }

    /**
     * Runs the patch embedding and every block; returns the last hidden states in HF's patch order (merge
     * units in raster order): {@code s.hidden} when no window permutation was needed, else {@code s.normed}
     * holding the rows put back from window order, unit by unit.
     */
    private float[] hiddenStates(float[] pixels, int pixelOffset, WindowIndex index, Qwen2VisionScratch s) {
        int n = index.patches(), mu = config.mergeUnit(), cttp = patchVectorSize(), half = config.headDim() / 2;
        boolean identity = index.isIdentity();

        // patch embedding, rows in window order
        if (identity) {
            patchEmbed.forward(pool, pixels, pixelOffset, n, s.hidden);
        } else {
            int rowFloats = mu * cttp;
            pool.parallelFor(index.units(), (p0, p1) -> {
                for (int p = p0; p < p1; p++) {
                    System.arraycopy(pixels, pixelOffset + index.unitAt(p) * rowFloats, s.wide, p * rowFloats, rowFloats);
                }
            });
            patchEmbed.forward(pool, s.wide, 0, n, s.hidden);
        }

        // rotary table of every row, once for all blocks
        int[] positions = index.positionsView();
        pool.parallelFor(n, (r0, r1) -> rope.table(positions, r0, r1 - r0, s.cos, s.sin, r0 * half));

        AttentionMask frames = AttentionMask.segments(index.cuSeqlensView());
        AttentionMask windows = AttentionMask.segments(index.cuWindowSeqlensView());
        for (Qwen2VisionBlock block : blocks) {
            block.forward(pool, s, n, block.fullAttention() ? frames : windows, rope);
        }
        if (identity) return s.hidden;
        int unitFloats = mu * config.embedDim();
        pool.parallelFor(index.units(), (p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                System.arraycopy(s.hidden, p * unitFloats, s.normed, index.unitAt(p) * unitFloats, unitFloats);
            }
        });
        return s.normed;
    }

    /**
     * The last hidden states of one picture ({@code pixel_values} of a {@link ImageLayout.PatchGrid}), before the
     * merger: {@code t·h·w} rows of {@link #embedDim()} in HF's patch order, on a {@code t·h × w} grid.
     */
    @Override
    public VisionFeatures features(ProcessedImage processed) {
        if (!(processed.layout() instanceof ImageLayout.PatchGrid g)) {
            throw new IllegalArgumentException("the Qwen-VL tower takes a patch grid, got " + processed.layout());
        }
        List<GridThw> grids = List.of(new GridThw(g.t(), g.h(), g.w()));
        long rows = checkGrids(grids);
        if (processed.pixels().length != rows * patchVectorSize()) throw badPixels(processed.pixels().length, 0, grids, rows);
        WindowIndex index = WindowIndex.of(grids, config.spatialMergeSize(), config.windowUnits());
        int n = index.patches();
        float[] out = new float[Math.multiplyExact(n, embedDim())];
        Qwen2VisionScratch s = acquire(n);
        try {
            System.arraycopy(hiddenStates(processed.pixels(), 0, index, s), 0, out, 0, out.length);
        } finally {
            scratches.push(s);
        }
        return new VisionFeatures(out, 1, n, embedDim(), g.t() * g.h(), g.w());
    }

    @Override
    public int featureWidth() { return embedDim(); }

    /** The 2×2 patch merger (HF's {@code visual.merger}). */
    public PatchMerger merger() { return merger; }

    /** Checks the grids (positive, h and w multiples of the merge size) and returns their patch rows. */
    private long checkGrids(List<GridThw> grids) {
        Objects.requireNonNull(grids, "grids");
        int m = config.spatialMergeSize();
        long rows = 0;
        for (int i = 0; i < grids.size(); i++) {
            GridThw g = Objects.requireNonNull(grids.get(i), "grid " + i);
            if (g.h() % m != 0 || g.w() % m != 0) {
                throw new IllegalArgumentException("image " + i + ": grid " + g + ": h and w must be multiples of"
                        + " spatial_merge_size=" + m);
            }
            rows += g.patches();
        }
        if (rows * patchVectorSize() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("too many patches in one call: " + rows);
        }
        return rows;
    }

    private long totalTokens(List<GridThw> grids) {
        long t = 0;
        for (GridThw g : grids) t += tokens(g);
        return t;
    }

    private IllegalArgumentException badPixels(int length, int offset, List<GridThw> grids, long rows) {
        int cttp = patchVectorSize();
        String have = (length - offset) % cttp == 0
                ? (length - offset) / cttp + " rows of C·T·P·P = " + cttp
                : (length - offset) + " floats, not a whole number of rows of C·T·P·P = " + cttp;
        return new IllegalArgumentException("pixel_values: " + have + (offset > 0 ? " from offset " + offset : "")
                + ", but grid(s) " + grids + " need " + rows + " rows (t·h·w per image)");
    }

    private Qwen2VisionScratch acquire(int rows) {
        Qwen2VisionScratch s = scratches.poll();
        if (s != null && s.capacity >= rows) return s;
        return new Qwen2VisionScratch(config, Math.max(rows, s == null ? 0 : s.capacity));
    }

    /** Drops the activation buffers; closes the weights if {@link #open} opened them. */
    @Override
    public void close() {
        scratches.clear();
        if (ownedStore != null) ownedStore.close();
    }
}
