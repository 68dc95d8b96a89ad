package dev.casa.vision.qwen2vl;

import dev.casa.core.safetensors.TensorStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain float64 transcription of HF v4.51.3's Qwen2.5-VL / Qwen2-VL vision forward, sharing no code
 * with the tower: the literal padded {@code get_window_index} (-100 fill, {@code unique_consecutive}),
 * {@code rot_pos_emb} by reshape/permute index arithmetic, and eager attention with an explicit
 * token × token mask from {@code cu_seqlens}. Slow (O(N²) per block); for small random models.
 */
final class ReferenceQwenVision {
    private ReferenceQwenVision() {}

    private final static class W {
        final TensorStore store;
        final String prefix;

        W(TensorStore store, String prefix) { this.store = store; this.prefix = prefix; }

        double[] get(String name) {
            float[] f = store.get(prefix + name).toFloatArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }
    }

    /** HF's visual(pixel_values, grid_thw): [Σ tokens, out] in input order, float64. */
    static double[] forward(Qwen2VisionConfig c, TensorStore store, String prefix, float[] pixels, List<GridThw> grids) {
        W w = new W(store, prefix);
        boolean v25 = c.variant() == Qwen2VisionConfig.Variant.QWEN2_5_VL;
        int d = c.embedDim(), heads = c.numHeads(), hd = d / heads, m = c.spatialMergeSize(), mu = m * m;
        int cttp = c.inChannels() * c.temporalPatchSize() * c.patchSize() * c.patchSize();
        int n = 0;
        for (GridThw g : grids) n += g.t() * g.h() * g.w();

        // patch_embed: Conv3d with kernel = stride = the whole patch
        double[] conv = w.get("patch_embed.proj.weight");
        double[] h = linear(toDouble(pixels), n, cttp, conv, null, d);

        // rot_pos_emb: (hpos, wpos) per patch, freqs = pos · inv_freq over dim = head_dim / 2
        int dim = hd / 2, nf = (dim + 1) / 2;
        double[] invFreq = new double[nf];
        for (int k = 0; k < nf; k++) invFreq[k] = (float) (1.0 / Math.pow(10000.0, (float) (2.0 * k / dim)));
        double[][] rot = new double[n][];   // [n][hd/2]: hpos·inv | wpos·inv
        int r0 = 0;
        for (GridThw g : grids) {
            for (int t = 0; t < g.t(); t++) {
                // reshape (h/m, m, w/m, m), permute (0, 2, 1, 3), flatten
                for (int a = 0; a < g.h() / m; a++) {
                    for (int b = 0; b < g.w() / m; b++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < m; j++) {
                                int hp = a * m + i, wp = b * m + j;
                                double[] f = new double[2 * nf];
                                for (int k = 0; k < nf; k++) {
                                    f[k] = hp * invFreq[k];
                                    f[nf + k] = wp * invFreq[k];
                                }
                                rot[r0++] = f;
                            }
                        }
                    }
                }
            }
        }

        // get_window_index (Qwen2.5-VL), literally: pad the unit grid with -100 up to whole windows
        int units = n / mu;
        int[] windowIndex = new int[units];
        List<Integer> cuWindow = new ArrayList<>(List.of(0));
        if (v25) {
            int vws = c.windowSize() / m / c.patchSize();
            int idx = 0, id = 0;
            for (GridThw g : grids) {
                int lh = g.h() / m, lw = g.w() / m;
                int padH = vws - lh % vws, padW = vws - lw % vws;
                int nwh = (lh + padH) / vws, nww = (lw + padW) / vws;
                for (int t = 0; t < g.t(); t++) {
                    for (int wh = 0; wh < nwh; wh++) {
                        for (int ww = 0; ww < nww; ww++) {
                            int count = 0;
                            for (int i = 0; i < vws; i++) {
                                for (int j = 0; j < vws; j++) {
                                    int y = wh * vws + i, x = ww * vws + j;
                                    int v = y < lh && x < lw ? t * lh * lw + y * lw + x : -100;
                                    if (v != -100) {
                                        windowIndex[idx++] = v + id;
                                        count++;
                                    }
                                }
                            }
                            cuWindow.add(cuWindow.get(cuWindow.size() - 1) + count * mu);
                        }
                    }
                }
                id += g.t() * lh * lw;
            }
        } else {
            for (int i = 0; i < units; i++) windowIndex[i] = i;
        }
        // unique_consecutive
        List<Integer> cuW = new ArrayList<>();
        for (int x : cuWindow) if (cuW.isEmpty() || cuW.get(cuW.size() - 1) != x) cuW.add(x);
        List<Integer> cuFull = new ArrayList<>(List.of(0));
        for (GridThw g : grids) for (int t = 0; t < g.t(); t++) cuFull.add(cuFull.get(cuFull.size() - 1) + g.h() * g.w());

        // reorder hidden states and rotary by window_index (merge-unit granularity)
        double[] hw = new double[n * d];
        double[][] rw = new double[n][];
        for (int p = 0; p < units; p++) {
            for (int s = 0; s < mu; s++) {
                System.arraycopy(h, (windowIndex[p] * mu + s) * d, hw, (p * mu + s) * d, d);
                rw[p * mu + s] = rot[windowIndex[p] * mu + s];
            }
        }
        h = hw;
        double[][] cos = new double[n][hd], sin = new double[n][hd];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < hd; k++) {
                double ang = rw[r][k % (hd / 2)];   // emb = cat(rot, rot)
                cos[r][k] = Math.cos(ang);
                sin[r][k] = Math.sin(ang);
            }
        }

        for (int layer = 0; layer < c.depth(); layer++) {
            String b = "blocks." + layer + ".";
            boolean full = !v25 || c.fullattBlockIndexes().contains(layer);
            int[] seg = segmentOf(full ? cuFull : cuW, n);
            double[] x = norm(h, n, d, w, b + "norm1", v25);
            double[] qkv = linear(x, n, d, w.get(b + "attn.qkv.weight"), w.get(b + "attn.qkv.bias"), 3 * d);
            double[] ctx = attention(qkv, n, heads, hd, cos, sin, seg);
            double[] o = linear(ctx, n, d, w.get(b + "attn.proj.weight"), w.get(b + "attn.proj.bias"), d);
            for (int i = 0; i < n * d; i++) h[i] += o[i];
            x = norm(h, n, d, w, b + "norm2", v25);
            int inter = c.intermediateSize();
            double[] y;
            if (v25) {
                double[] gate = linear(x, n, d, w.get(b + "mlp.gate_proj.weight"), w.get(b + "mlp.gate_proj.bias"), inter);
                double[] up = linear(x, n, d, w.get(b + "mlp.up_proj.weight"), w.get(b + "mlp.up_proj.bias"), inter);
                for (int i = 0; i < gate.length; i++) gate[i] = act(c.hiddenAct(), gate[i]) * up[i];
                y = linear(gate, n, inter, w.get(b + "mlp.down_proj.weight"), w.get(b + "mlp.down_proj.bias"), d);
            } else {
                double[] f = linear(x, n, d, w.get(b + "mlp.fc1.weight"), w.get(b + "mlp.fc1.bias"), inter);
                for (int i = 0; i < f.length; i++) f[i] = act(c.hiddenAct(), f[i]);
                y = linear(f, n, inter, w.get(b + "mlp.fc2.weight"), w.get(b + "mlp.fc2.bias"), d);
            }
            for (int i = 0; i < n * d; i++) h[i] += y[i];
        }

        // merger: ln_q per token, view(-1, mu·d), Linear, GELU, Linear
        double[] x = norm(h, n, d, w, "merger.ln_q", v25);
        int wide = mu * d, out = c.outHiddenSize();
        double[] f = linear(x, units, wide, w.get("merger.mlp.0.weight"), w.get("merger.mlp.0.bias"), wide);
        for (int i = 0; i < f.length; i++) f[i] = act("gelu", f[i]);
        double[] merged = linear(f, units, wide, w.get("merger.mlp.2.weight"), w.get("merger.mlp.2.bias"), out);
        // reverse_indices = argsort(window_index)
        double[] result = new double[units * out];
        for (int p = 0; p < units; p++) System.arraycopy(merged, p * out, result, windowIndex[p] * out, out);
        return result;
    }

    /** Eager attention of every head: rotary on q and k, scores / √hd, softmax over the query's segment. */
    private static double[] attention(double[] qkv, int n, int heads, int hd, double[][] cos, double[][] sin, int[] seg) {
        int d = heads * hd;
        double[] ctx = new double[n * d];
        double[] q, sc = new double[n];
        double[][] kr = new double[n][];
        for (int head = 0; head < heads; head++) {
            for (int j = 0; j < n; j++) kr[j] = rope(qkv, j * 3 * d + d + head * hd, hd, cos[j], sin[j]);
            for (int i = 0; i < n; i++) {
                q = rope(qkv, i * 3 * d + head * hd, hd, cos[i], sin[i]);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    if (seg[i] != seg[j]) { sc[j] = Double.NEGATIVE_INFINITY; continue; }
                    double s = 0;
                    for (int e = 0; e < hd; e++) s += q[e] * kr[j][e];
                    sc[j] = s / Math.sqrt(hd);
                    max = Math.max(max, sc[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    sc[j] = sc[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(sc[j] - max);
                    sum += sc[j];
                }
                for (int j = 0; j < n; j++) {
                    if (sc[j] == 0) continue;
                    for (int e = 0; e < hd; e++) ctx[i * d + head * hd + e] += sc[j] / sum * qkv[j * 3 * d + 2 * d + head * hd + e];
                }
            }
        }
        return ctx;
    }

    private static int[] segmentOf(List<Integer> cu, int n) {
        int[] seg = new int[n];
        Arrays.fill(seg, -1);
        for (int s = 0; s + 1 < cu.size(); s++) for (int i = cu.get(s); i < cu.get(s + 1); i++) seg[i] = s;
        return seg;
    }

    /** q·cos + rotate_half(q)·sin for the head at {@code off}. */
    private static double[] rope(double[] x, int off, int hd, double[] cos, double[] sin) {
        double[] r = new double[hd];
        int half = hd / 2;
        for (int e = 0; e < hd; e++) {
            double rh = e < half ? -x[off + e + half] : x[off + e - half];
            r[e] = x[off + e] * cos[e] + rh * sin[e];
        }
        return r;
    }

    private static double[] norm(double[] h, int n, int d, W w, String name, boolean rms) {
        double[] g = w.get(name + ".weight");
        double[] bias = rms ? null : w.get(name + ".bias");
        double[] out = new double[n * d];
        for (int r = 0; r < n; r++) {
            double mean = 0, var = 0;
            if (rms) {
                for (int e = 0; e < d; e++) var += h[r * d + e] * h[r * d + e];
                var /= d;
            } else {
                for (int e = 0; e < d; e++) mean += h[r * d + e];
                mean /= d;
                for (int e = 0; e < d; e++) var += (h[r * d + e] - mean) * (h[r * d + e] - mean);
                var /= d;
            }
            double inv = 1 / Math.sqrt(var + 1e-6);
            for (int e = 0; e < d; e++) {
                out[r * d + e] = (h[r * d + e] - mean) * inv * g[e] + (bias == null ? 0 : bias[e]);
            }
        }
        return out;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double[] linear(double[] x, int n, int in, double[] wt, double[] b, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) s += x[r * in + k] * wt[o * in + k];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    static double act(String name, double x) {
        return switch (name) {
            case "silu" -> x / (1 + Math.exp(-x));
            case "quick_gelu" -> x / (1 + Math.exp(-1.702 * x));
            case "gelu" -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case "gelu_pytorch_tanh" -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** erf by its Maclaurin series (|x| < 3) or the continued fraction of erfc. */
    static double erf(double x) {
        double ax = Math.abs(x), r;
        if (ax < 3) {
            double term = ax, sum = ax;
            for (int k = 1; k < 200; k++) {
                term *= -ax * ax / k;
                double add = term / (2 * k + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
