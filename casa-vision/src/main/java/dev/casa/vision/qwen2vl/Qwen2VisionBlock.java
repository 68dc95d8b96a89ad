package dev.casa.vision.qwen2vl;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;
import dev.casa.core.nn.Activation;
import dev.casa.core.nn.GatedMlp;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.Mlp;
import dev.casa.core.nn.RotaryEmbedding;
import dev.casa.core.nn.TensorBinder;

/**
 * HF {@code Qwen2_5_VLVisionBlock} / {@code Qwen2VLVisionBlock} with eager attention:
 * {@code h += proj(attn(rot(qkv(norm1(h)))))}, {@code h += mlp(norm2(h))}. The attention is
 * {@code Qwen2_5_VLVisionAttention}: one {@code qkv} Linear ({@code [3D, D]}, read as q | k | v per row),
 * the 2-D rotary (rotate-half over the whole head) on q and k, softmax attention in fp32 with scale
 * {@code 1/√headDim} where each token sees exactly the tokens of its segment (its window, or its image
 * frame for full-attention blocks), then {@code proj}. The MLP is the gated {@code down(silu(gate)·up)}
 * (Qwen2.5-VL, with biases) or {@code fc2(act(fc1))} (Qwen2-VL). Immutable.
 */
public final class Qwen2VisionBlock {
    private final TokenNorm norm1, norm2;
    private final Linear qkv, proj;
    private final GatedMlp gatedMlp;   // Qwen2.5-VL
    private final Mlp mlp;             // Qwen2-VL
    private final int heads, headDim;
    private final boolean fullAttention;

    private Qwen2VisionBlock(TokenNorm norm1, TokenNorm norm2, Linear qkv, Linear proj, GatedMlp gatedMlp, Mlp mlp,
                             int heads, int headDim, boolean fullAttention) {
        this.norm1 = norm1;
        this.norm2 = norm2;
        this.qkv = qkv;
        this.proj = proj;
        this.gatedMlp = gatedMlp;
        this.mlp = mlp;
        this.heads = heads;
        this.headDim = headDim;
        this.fullAttention = fullAttention;
    }

    /** Binds block {@code layer} under {@code prefix} (e.g. {@code "visual.blocks.3."}). */
    static Qwen2VisionBlock bind(TensorBinder binder, String prefix, Qwen2VisionConfig c, int layer) {
        int d = c.embedDim(), inter = c.intermediateSize();
        Qwen2VisionConfig.Variant v = c.variant();
        Activation act = Activation.fromHf(c.hiddenAct());
        TokenNorm n1 = TokenNorm.bind(binder, prefix + "norm1", d, v);
        TokenNorm n2 = TokenNorm.bind(binder, prefix + "norm2", d, v);
        Linear qkv = binder.linear(prefix + "attn.qkv", 3 * d, d, true);
        Linear proj = binder.linear(prefix + "attn.proj", d, d, true);
        GatedMlp gated = null;
        Mlp plain = null;
        if (v == Qwen2VisionConfig.Variant.QWEN2_5_VL) {
            gated = new GatedMlp(binder.linear(prefix + "mlp.gate_proj", inter, d, true),
                    binder.linear(prefix + "mlp.up_proj", inter, d, true),
                    binder.linear(prefix + "mlp.down_proj", d, inter, true), act);
        } else {
            plain = new Mlp(binder.linear(prefix + "mlp.fc1", inter, d, true),
                    binder.linear(prefix + "mlp.fc2", d, inter, true), act);
        }
        return new Qwen2VisionBlock(n1, n2, qkv, proj, gated, plain, c.numHeads(), c.headDim(), c.fullAttention(layer));
    }

    /** Whether this block attends over whole image frames (else within windows). */
    public boolean fullAttention() { return fullAttention; }

    /**
     * One block over {@code rows} rows of {@code s.hidden} (in place). {@code mask} is the segment mask of
     * this block's attention; the rotary table for the rows is in {@code s.cos}/{@code s.sin}.
     */
    void forward(ThreadPool pool, Qwen2VisionScratch s, int rows, AttentionMask mask, RotaryEmbedding rope) {
        int d = heads * headDim, w3 = 3 * d;
        float scale = (float) (1.0 / Math.sqrt(headDim));

        norm1.forward(pool, s.hidden, rows, s.normed);
        qkv.forward(pool, s.normed, rows, s.qkv);
        int half = headDim / 2;
        pool.parallelFor(rows, (r0, r1) -> {
            // q and k of rows [r0, r1): heads consecutive at column 0 (q) and d (k) of each qkv row
            rope.rotateRows(s.qkv, r0 * w3, w3, r1 - r0, heads, s.cos, s.sin, r0 * half);
            rope.rotateRows(s.qkv, r0 * w3 + d, w3, r1 - r0, heads, s.cos, s.sin, r0 * half);
        });
        Attention.attend(pool, s.qkv, 0, w3, rows, heads, headDim, s.qkv, d, s.qkv, 2 * d, w3, rows, heads,
                mask, scale, s.context, 0, d);
        proj.forward(pool, s.context, rows, s.normed);
        addRows(pool, s.hidden, s.normed, rows, d);

        norm2.forward(pool, s.hidden, rows, s.normed);
        if (gatedMlp != null) gatedMlp.forward(pool, s.normed, rows, s.wide, s.wide2, s.context);
        else mlp.forward(pool, s.normed, rows, s.wide, s.context);
        addRows(pool, s.hidden, s.context, rows, d);
    }

    private static void addRows(ThreadPool pool, float[] acc, float[] x, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> VectorMath.add(acc, r0 * width, x, r0 * width, (r1 - r0) * width));
    }
}
