package dev.casa.text.casa;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.RmsNorm;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.nn.TensorBinder;
import dev.casa.text.lm.AttentionProjections;
import dev.casa.text.lm.DecoderLayer;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The CASA attentions of a decoder (model-format.md §4.3, casa-qwen.md §4.3): in each CASA layer the
 * text queries attend over the current window's image keys and the window's text keys (causal), and the
 * output {@code ca} is added beside the self-attention output: {@code h = h + sa + ca}.
 *
 * <p>Every choice the released checkpoints may settle differently lives here or in {@link CasaConfig}:
 * the tensor names ({@code casa_layernorm}, {@code casa_attn.*}), the norm applied to image embeddings, the
 * image-key positions ({@link ImageRope}). Immutable; the window lives in a {@link CasaWindowState}.
 */
public final class CasaLayers {

    /** One CASA layer's own weights; both null when it shares the self-attention's. */
    public record CasaLayerWeights(RmsNorm casaLayernorm, AttentionProjections casaAttn) {}

    /** Rows of the current call as the decoder layer sees them (arrays owned by the decoder state). */
    public record TextRows(int rows, float[] hidden, float[] selfQ, float[] selfK, float[] selfV, int textBase,
                           float[] cos, float[] sin, float[] x, float[] k, float[] v, float[] att, float[] out) {}

    private final TextConfig t;
    private final boolean share;
    private final ImageRope imageRope;
    private final RotaryEmbedding rope;
    private final int[] slot;
    private final List<CasaLayerWeights> weights;
    private final float scale;

    private CasaLayers(TextConfig t, boolean share, ImageRope imageRope, int[] slot, List<CasaLayerWeights> weights) {
        this.t = t;
        this.share = share;
        this.imageRope = imageRope;
        this.rope = t.rotaryEmbedding();
        this.slot = slot;
        this.weights = weights;
        this.scale = (float) (1.0 / Math.sqrt(t.headDim()));
    }

    /**
     * Binds {@code casa_layernorm} and {@code casa_attn.*} of each CASA layer (none with shared projections).
     * {@code layers} and {@code imageRope} are {@link CasaConfig}'s resolved values.
     */
    public static CasaLayers bind(TensorBinder b, LmTensorNames names, TextConfig t, int[] layers,
                                  boolean shareProjections, ImageRope imageRope) {
        int[] slot = new int[t.numHiddenLayers()];
        Arrays.fill(slot, -1);
        List<CasaLayerWeights> weights = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            slot[layers[i]] = i;
            if (shareProjections) {
                weights.add(new CasaLayerWeights(null, null));
            } else {
                String p = names.layer(layers[i]);
                weights.add(new CasaLayerWeights(b.rmsNorm(p + "casa_layernorm.weight", t.hiddenSize(), t.rmsNormEps()),
                        AttentionProjections.bindLike(b, p + "casa_attn.", t)));
            }
        }
        return new CasaLayers(t, shareProjections, imageRope, slot, List.copyOf(weights));
    }

    public boolean isCasaLayer(int layer) { return slot[layer] >= 0; }

    public int count() { return weights.size(); }

    public boolean shareProjections() { return share; }

    public ImageRope imageRope() { return imageRope; }

    public CasaWindowState newState() {
        return new CasaWindowState(weights.size(), t.kvDim());
    }

    /** Plans the call's windows and readies the buffers; {@code firstPosition} is row 0's text position. */
    public WindowPlan plan(CasaWindowState s, int rows, List<ImageInput> images, int firstPosition) {
        WindowPlan plan = WindowPlan.plan(s, rows, images, firstPosition);
        s.ensureRows(plan.peakRows);
        s.ensureImageNorm(plan.maxImageTokens * t.hiddenSize());
        int tableRows = 0;
        for (WindowPlan.Step step : plan.steps) {
            if (!step.isImage() || imageRope == ImageRope.NONE) continue;
            ImageInput img = images.get(step.image());
            if (imageRope == ImageRope.MROPE_GRID && !img.hasGrid()) {
                throw new IllegalArgumentException("image " + step.image() + ": image_rope mrope_grid needs the image's token grid");
            }
            tableRows += imageRope == ImageRope.MROPE_GRID ? img.numTokens() : 1;
        }
        imageKeyTables(s, plan, images, tableRows);
        return plan;
    }

    /**
     * The cos/sin rows of the call's image keys, computed once per call and used by every CASA layer (they
     * depend on the positions only): one row per image for window_start, one per key for mrope_grid.
     */
    private void imageKeyTables(CasaWindowState s, WindowPlan plan, List<ImageInput> images, int tableRows) {
        plan.ropeRow = new int[images.size()];
        Arrays.fill(plan.ropeRow, -1);
        if (tableRows == 0) return;
        int half = t.headDim() / 2;
        s.ensureImageRope(tableRows * half);
        int row = 0;
        int[] pos = new int[3];
        for (WindowPlan.Step step : plan.steps) {
            if (!step.isImage()) continue;
            ImageInput img = images.get(step.image());
            plan.ropeRow[step.image()] = row;
            if (imageRope == ImageRope.WINDOW_START) {
                rope.tableRow(step.start(), s.imageCos, s.imageSin, row * half);
                row++;
                continue;
            }
            // mrope_grid: key i of the image's merged grid at (s, s + row, s + col)
            for (int i = 0; i < img.numTokens(); i++, row++) {
                pos[0] = step.start();
                pos[1] = step.start() + i / img.gridCols();
                pos[2] = step.start() + i % img.gridCols();
                rope.table(pos, 0, 1, s.imageCos, s.imageSin, row * half);
            }
        }
    }

    /** Records the window after the call. */
    public void commit(WindowPlan plan, CasaWindowState s) {
        plan.commit(s);
    }

    /**
     * CASA attention of decoder layer {@code layer} for the call's rows: writes {@code ca} ({@code rows · d})
     * into {@code r.out()}. With shared projections it reuses the self-attention's rotated queries
     * ({@code r.selfQ()}) and cached text keys/values ({@code r.selfK()/selfV()} from row {@code r.textBase()}).
     */
    public void attend(ThreadPool pool, int layer, DecoderLayer self, CasaWindowState s, WindowPlan plan,
                       List<ImageInput> images, TextRows r) {
        int sl = slot[layer];
        CasaLayerWeights own = weights.get(sl);
        RmsNorm norm = share ? self.inputLayernorm() : own.casaLayernorm();
        AttentionProjections a = share ? self.selfAttn() : own.casaAttn();
        int kvd = t.kvDim(), qd = t.queryDim(), rows = r.rows();
        float[] wk = s.windowK[sl], wv = s.windowV[sl];
        float[] q = r.selfQ(), textK = r.selfK(), textV = r.selfV();
        int textBase = r.textBase();
        if (rows > 0 && !share) {
            // Text queries/keys/values of the whole chunk in one batch, rotated at their text positions.
            norm.forward(r.hidden(), rows, r.x());
            // q into r.selfQ(): self-attention is done with its q
            Linear.forwardShared(pool, r.x(), 0, rows, new Linear[] {a.q(), a.k(), a.v()},
                    new float[][] {r.selfQ(), r.k(), r.v()}, new int[3]);
            rope.rotateRows(r.selfQ(), 0, qd, rows, t.numAttentionHeads(), r.cos(), r.sin(), 0);
            rope.rotateRows(r.k(), 0, kvd, rows, t.numKeyValueHeads(), r.cos(), r.sin(), 0);
            q = r.selfQ();
            textK = r.k();
            textV = r.v();
            textBase = 0;
        }
        for (WindowPlan.Step step : plan.steps) {
            if (step.isImage()) {
                ImageInput img = images.get(step.image());
                int n = img.numTokens();
                norm.forward(img.embeddings(), 0, n, s.imageNorm, 0);
                a.k().forward(pool, s.imageNorm, 0, n, wk, step.keyRow() * kvd);
                a.v().forward(pool, s.imageNorm, 0, n, wv, step.keyRow() * kvd);
                rotateImageKeys(s, plan.ropeRow[step.image()], wk, step.keyRow(), n);
            } else {
                int n = step.to() - step.from();
                System.arraycopy(textK, (textBase + step.from()) * kvd, wk, step.keyRow() * kvd, n * kvd);
                System.arraycopy(textV, (textBase + step.from()) * kvd, wv, step.keyRow() * kvd, n * kvd);
                int textKeys = step.textBefore() + n;
                Attention.attend(pool, q, step.from() * qd, qd, n, t.numAttentionHeads(), t.headDim(),
                        wk, 0, wv, 0, kvd, step.imageKeys() + textKeys, t.numKeyValueHeads(),
                        AttentionMask.window(step.imageKeys(), textKeys, n), scale,
                        r.att(), step.from() * qd, qd);
            }
        }
        if (rows > 0) a.o().forward(pool, r.att(), rows, r.out());
    }

    /** Image keys at the window start s: all axes s, or (s, s + row, s + col) of the image's grid (tables from {@link #plan}). */
    private void rotateImageKeys(CasaWindowState s, int tableRow, float[] wk, int keyRow, int n) {
        if (imageRope == ImageRope.NONE) return;
        int half = t.headDim() / 2, kvd = t.kvDim(), heads = t.numKeyValueHeads();
        boolean grid = imageRope == ImageRope.MROPE_GRID;
        for (int i = 0; i < n; i++) {
            rope.rotate(wk, (keyRow + i) * kvd, heads, s.imageCos, s.imageSin, (tableRow + (grid ? i : 0)) * half);
        }
    }
}
