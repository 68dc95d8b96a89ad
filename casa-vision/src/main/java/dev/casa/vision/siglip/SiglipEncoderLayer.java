package dev.casa.vision.siglip;

import dev.casa.core.kernels.Attention;
import dev.casa.core.kernels.AttentionMask;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorMath;
import dev.casa.core.nn.LayerNorm;
import dev.casa.core.nn.Linear;
import dev.casa.core.nn.Mlp;
import dev.casa.core.nn.TensorBinder;

/**
 * HF {@code SiglipEncoderLayer} / {@code Idefics3EncoderLayer} with eager attention, pre-LN:
 * {@code h += out_proj(attn(q_proj, k_proj, v_proj of layer_norm1(h)))}, {@code h += mlp(layer_norm2(h))},
 * softmax in fp32 with scale {@code 1/√headDim}, each image attending over its own patches only. Immutable.
 */
final class SiglipEncoderLayer {
    private final LayerNorm norm1, norm2;
    private final Linear q, k, v, out;
    private final Mlp mlp;
    private final int heads, headDim;

    private SiglipEncoderLayer(LayerNorm norm1, Linear q, Linear k, Linear v, Linear out, LayerNorm norm2, Mlp mlp,
                               int heads, int headDim) {
        this.norm1 = norm1;
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.norm2 = norm2;
        this.mlp = mlp;
        this.heads = heads;
        this.headDim = headDim;
    }

    /** Binds layer tensors under {@code prefix} (e.g. {@code "model.vision_model.encoder.layers.3."}). */
    static SiglipEncoderLayer bind(TensorBinder b, String prefix, SiglipVisionConfig c) {
        int d = c.hiddenSize(), inter = c.intermediateSize();
        double eps = c.layerNormEps();
        String a = prefix + "self_attn.";
        return new SiglipEncoderLayer(
                b.layerNorm(prefix + "layer_norm1", d, eps),
                b.linear(a + "q_proj", d, d, true), b.linear(a + "k_proj", d, d, true),
                b.linear(a + "v_proj", d, d, true), b.linear(a + "out_proj", d, d, true),
                b.layerNorm(prefix + "layer_norm2", d, eps),
                new Mlp(b.linear(prefix + "mlp.fc1", inter, d, true), b.linear(prefix + "mlp.fc2", d, inter, true), c.activation()),
                c.numAttentionHeads(), c.headDim());
    }

    /** The layer over {@code tokens} rows of {@code s.hidden} (in place); {@code images} is the segment mask of the images. */
    void forward(ThreadPool pool, SiglipScratch s, int tokens, AttentionMask images) {
        int d = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        norm1.forward(pool, s.hidden, tokens, s.normed);
        q.forward(pool, s.normed, tokens, s.q);
        k.forward(pool, s.normed, tokens, s.k);
        v.forward(pool, s.normed, tokens, s.v);
        Attention.attend(pool, s.q, 0, d, tokens, heads, headDim, s.k, 0, s.v, 0, d, tokens, heads,
                images, scale, s.context, 0, d);
        out.forward(pool, s.context, tokens, s.normed);
        addRows(pool, s.hidden, s.normed, tokens, d);

        norm2.forward(pool, s.hidden, tokens, s.normed);
        mlp.forward(pool, s.normed, tokens, s.wide, s.context);
        addRows(pool, s.hidden, s.context, tokens, d);
    }

    static void addRows(ThreadPool pool, float[] acc, float[] x, int rows, int width) {
        pool.parallelFor(rows, (r0, r1) -> VectorMath.add(acc, r0 * width, x, r0 * width, (r1 - r0) * width));
    }
}
