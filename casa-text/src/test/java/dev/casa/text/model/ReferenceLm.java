package dev.casa.text.model;

import dev.casa.text.casa.ImageRope;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.TextConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately plain float64 transcription of model-format.md §4.2–4.5 for tests: whole-request
 * prefill, one token at a time, windows found from the insertion points, no caches, no kernels.
 */
final class ReferenceLm {
    private final TinyModel m;
    private final TinyConfig c;
    private final TextConfig t;

    ReferenceLm(TinyModel m) {
        this.m = m;
        this.c = m.config();
        this.t = c.text();
    }

    /** Logits {@code [T][V]} for the request. */
    double[][] logits(int[] tokens, List<ImageInput> images) {
        return c.fusion() == TinyConfig.Fusion.CASA ? casa(tokens, images) : insertion(tokens, images);
    }

    private double[][] casa(int[] tokens, List<ImageInput> images) {
        int n = tokens.length;
        double[][] h = new double[n][];
        for (int j = 0; j < n; j++) h[j] = row(w("model.embed_tokens.weight"), tokens[j], t.hiddenSize());
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] sa = selfAttention(h, p, positions(n));
            double[][] ca = null;
            if (c.casa().isCasaLayer(l)) {
                boolean share = c.casa().shareProjections();
                String ap = share ? p + "self_attn." : p + "casa_attn.";
                String norm = share ? p + "input_layernorm.weight" : p + "casa_layernorm.weight";
                ca = new double[n][];
                double[][] cq = new double[n][], ck = new double[n][], cv = new double[n][];
                for (int j = 0; j < n; j++) {
                    double[] x = rms(h[j], w(norm));
                    cq[j] = rope(linear(x, ap + "q_proj"), t.numAttentionHeads(), j);
                    ck[j] = rope(linear(x, ap + "k_proj"), t.numKeyValueHeads(), j);
                    cv[j] = linear(x, ap + "v_proj");
                }
                for (int j = 0; j < n; j++) {
                    // The window of token j: the images at the largest insertion point <= j.
                    int start = -1;
                    for (ImageInput img : images) if (img.insertAt() <= j) start = img.insertAt();
                    List<double[]> keys = new ArrayList<>(), vals = new ArrayList<>();
                    for (ImageInput img : images) {
                        if (start < 0 || img.insertAt() != start) continue;
                        for (int r = 0; r < img.numTokens(); r++) {
                            double[] e = new double[t.hiddenSize()];
                            for (int i = 0; i < e.length; i++) e[i] = img.embeddings()[r * t.hiddenSize() + i];
                            double[] u = rms(e, w(norm));
                            double[] k = linear(u, ap + "k_proj");
                            if (c.casa().imageRope() == ImageRope.WINDOW_START) k = rope(k, t.numKeyValueHeads(), start);
                            keys.add(k);
                            vals.add(linear(u, ap + "v_proj"));
                        }
                    }
                    for (int i = Math.max(start, 0); i <= j; i++) {
                        keys.add(ck[i]);
                        vals.add(cv[i]);
                    }
                    ca[j] = linear(attend(cq[j], keys, vals), ap + "o_proj");
                }
            }
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < t.hiddenSize(); i++) h[j][i] += sa[j][i] + (ca == null ? 0 : ca[j][i]);
            }
            mlp(h, p);
        }
        double[][] out = new double[n][];
        for (int j = 0; j < n; j++) out[j] = head(h[j]);
        return out;
    }

    private double[][] insertion(int[] tokens, List<ImageInput> images) {
        List<double[]> stream = new ArrayList<>();
        int[] textRows = new int[tokens.length];
        int done = 0;
        for (int mIdx = 0; mIdx <= images.size(); mIdx++) {
            int until = mIdx < images.size() ? images.get(mIdx).insertAt() : tokens.length;
            for (int j = done; j < until; j++) {
                textRows[j] = stream.size();
                stream.add(row(w("model.embed_tokens.weight"), tokens[j], t.hiddenSize()));
            }
            done = until;
            if (mIdx == images.size()) break;
            ImageInput img = images.get(mIdx);
            for (int r = 0; r < img.numTokens(); r++) {
                double[] e = new double[t.hiddenSize()];
                for (int i = 0; i < e.length; i++) e[i] = img.embeddings()[r * t.hiddenSize() + i];
                stream.add(e);
            }
        }
        double[][] h = stream.toArray(new double[0][]);
        for (int l = 0; l < t.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] sa = selfAttention(h, p, positions(h.length));
            for (int j = 0; j < h.length; j++) for (int i = 0; i < t.hiddenSize(); i++) h[j][i] += sa[j][i];
            mlp(h, p);
        }
        double[][] out = new double[tokens.length][];
        for (int j = 0; j < tokens.length; j++) out[j] = head(h[textRows[j]]);
        return out;
    }

    private static int[] positions(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    private double[][] selfAttention(double[][] h, String p, int[] pos) {
        int n = h.length;
        double[][] q = new double[n][], k = new double[n][], v = new double[n][];
        for (int j = 0; j < n; j++) {
            double[] x = rms(h[j], w(p + "input_layernorm.weight"));
            q[j] = rope(linear(x, p + "self_attn.q_proj"), t.numAttentionHeads(), pos[j]);
            k[j] = rope(linear(x, p + "self_attn.k_proj"), t.numKeyValueHeads(), pos[j]);
            v[j] = linear(x, p + "self_attn.v_proj");
        }
        double[][] out = new double[n][];
        for (int j = 0; j < n; j++) {
            List<double[]> keys = new ArrayList<>(), vals = new ArrayList<>();
            for (int i = 0; i <= j; i++) {
                keys.add(k[i]);
                vals.add(v[i]);
            }
            out[j] = linear(attend(q[j], keys, vals), p + "self_attn.o_proj");
        }
        return out;
    }

    private void mlp(double[][] h, String p) {
        for (double[] row : h) {
            double[] y = rms(row, w(p + "post_attention_layernorm.weight"));
            double[] g = linear(y, p + "mlp.gate_proj"), u = linear(y, p + "mlp.up_proj");
            for (int i = 0; i < g.length; i++) g[i] = act(g[i]) * u[i];
            double[] d = linear(g, p + "mlp.down_proj");
            for (int i = 0; i < row.length; i++) row[i] += d[i];
        }
    }

    private double act(double x) {
        return switch (t.activation()) {
            case SILU -> x / (1 + Math.exp(-x));
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            default -> throw new IllegalArgumentException("no reference for " + t.activation());
        };
    }

    /** erf by its Taylor series (converges fast for the small |x| seen here) — independent of the kernel's fit. */
    private static double erf(double x) {
        if (Math.abs(x) > 5) return Math.signum(x);
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private double[] attend(double[] q, List<double[]> keys, List<double[]> vals) {
        int hd = t.headDim(), heads = t.numAttentionHeads(), group = heads / t.numKeyValueHeads();
        double[] out = new double[heads * hd];
        for (int hh = 0; hh < heads; hh++) {
            int g = hh / group;
            double[] s = new double[keys.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s.length; j++) {
                double dot = 0;
                for (int d = 0; d < hd; d++) dot += q[hh * hd + d] * keys.get(j)[g * hd + d];
                s[j] = dot / Math.sqrt(hd);
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < s.length; j++) sum += s[j] = Math.exp(s[j] - max);
            for (int j = 0; j < s.length; j++) {
                for (int d = 0; d < hd; d++) out[hh * hd + d] += s[j] / sum * vals.get(j)[g * hd + d];
            }
        }
        return out;
    }

    /** RoPE written from the spec: interleaved pairs (2k, 2k+1) or half pairs (k, k + hd/2). */
    private double[] rope(double[] x, int heads, int pos) {
        int hd = t.headDim();
        double[] out = x.clone();
        for (int hh = 0; hh < heads; hh++) {
            for (int k = 0; k < hd / 2; k++) {
                double angle = pos * Math.pow(t.ropeTheta(), -2.0 * k / hd);
                int a = t.rope() == dev.casa.core.kernels.RopeStyle.INTERLEAVED ? hh * hd + 2 * k : hh * hd + k;
                int b = t.rope() == dev.casa.core.kernels.RopeStyle.INTERLEAVED ? a + 1 : a + hd / 2;
                out[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
                out[b] = x[b] * Math.cos(angle) + x[a] * Math.sin(angle);
            }
        }
        return out;
    }

    private double[] rms(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + t.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
        return out;
    }

    private double[] linear(double[] x, String name) {
        float[] wt = w(name + ".weight");
        int in = x.length, out = wt.length / in;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += x[i] * wt[o * in + i];
            y[o] = s;
        }
        if (m.has("language_model." + name + ".bias")) {
            float[] b = w(name + ".bias");
            for (int o = 0; o < out; o++) y[o] += b[o];
        }
        return y;
    }

    private double[] head(double[] h) {
        double[] f = rms(h, w("model.norm.weight"));
        float[] wt = t.tieWordEmbeddings() ? w("model.embed_tokens.weight") : w("lm_head.weight");
        double[] out = new double[t.vocabSize()];
        for (int v = 0; v < out.length; v++) {
            double s = 0;
            for (int i = 0; i < f.length; i++) s += f[i] * wt[v * f.length + i];
            out[v] = s;
        }
        return out;
    }

    private static double[] row(float[] table, int r, int width) {
        double[] out = new double[width];
        for (int i = 0; i < width; i++) out[i] = table[r * width + i];
        return out;
    }

    private float[] w(String name) { return m.get("language_model." + name); }
}
