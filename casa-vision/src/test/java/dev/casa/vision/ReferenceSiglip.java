package dev.casa.vision;

import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.Tensor;

/**
 * Test oracle: a direct, float64, loop-by-loop SigLIP vision tower + projector written from the
 * HF definitions, independent of the production code (direct convolution, no im2col, no GEMM).
 */
final class ReferenceSiglip {
    private final TensorStore w;
    private final int d, inter, heads, ch, size, p, grid, n, layers;
    private final double eps;
    private final String hiddenAct, projectorAct;

    ReferenceSiglip(TensorStore weights, int hidden, int intermediate, int heads, int channels, int imageSize,
                    int patch, int layers, double eps, String hiddenAct, String projectorAct) {
        this.w = weights;
        this.d = hidden;
        this.inter = intermediate;
        this.heads = heads;
        this.ch = channels;
        this.size = imageSize;
        this.p = patch;
        this.grid = imageSize / patch;
        this.n = grid * grid;
        this.layers = layers;
        this.eps = eps;
        this.hiddenAct = hiddenAct;
        this.projectorAct = projectorAct;
    }

    /** Features of one image; {@code featureLayer} null means post_layernorm(last hidden state). */
    double[][] features(float[] pixels, int offset, Integer featureLayer) {
        double[][][] states = new double[layers + 1][][];
        states[0] = embeddings(pixels, offset);
        for (int i = 0; i < layers; i++) states[i + 1] = layer(states[i], "vision_tower.vision_model.encoder.layers." + i + ".");
        if (featureLayer == null) {
            return layerNorm(states[layers], "vision_tower.vision_model.post_layernorm.");
        }
        int k = featureLayer >= 0 ? featureLayer : layers + 1 + featureLayer;
        return states[k];
    }

    double[][] project(double[][] features) {
        double[][] h = linear(features, "multi_modal_projector.linear_1.");
        for (double[] row : h) for (int j = 0; j < row.length; j++) row[j] = act(projectorAct, row[j]);
        return linear(h, "multi_modal_projector.linear_2.");
    }

    private double[][] embeddings(float[] img, int offset) {
        Tensor cw = w.get("vision_tower.vision_model.embeddings.patch_embedding.weight");
        Tensor cb = w.get("vision_tower.vision_model.embeddings.patch_embedding.bias");
        Tensor pos = w.get("vision_tower.vision_model.embeddings.position_embedding.weight");
        double[][] out = new double[n][d];
        for (int py = 0; py < grid; py++) {
            for (int px = 0; px < grid; px++) {
                int token = py * grid + px;
                for (int o = 0; o < d; o++) {
                    double s = cb.getFloat(o);
                    for (int c = 0; c < ch; c++) {
                        for (int ky = 0; ky < p; ky++) {
                            for (int kx = 0; kx < p; kx++) {
                                int y = py * p + ky, x = px * p + kx;
                                double pixel = img[offset + (c * size + y) * size + x];
                                s += cw.getFloat(((long) (o * ch + c) * p + ky) * p + kx) * pixel;
                            }
                        }
                    }
                    out[token][o] = s + pos.getFloat((long) token * d + o);
                }
            }
        }
        return out;
    }

    private double[][] layer(double[][] h, String prefix) {
        double[][] x = layerNorm(h, prefix + "layer_norm1.");
        double[][] q = linear(x, prefix + "self_attn.q_proj.");
        double[][] k = linear(x, prefix + "self_attn.k_proj.");
        double[][] v = linear(x, prefix + "self_attn.v_proj.");
        int hd = d / heads;
        double[][] ctx = new double[n][d];
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < n; i++) {
                double[] scores = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int e = 0; e < hd; e++) s += q[i][head * hd + e] * k[j][head * hd + e];
                    scores[j] = s / Math.sqrt(hd);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) sum += scores[j] = Math.exp(scores[j] - max);
                for (int j = 0; j < n; j++) {
                    for (int e = 0; e < hd; e++) ctx[i][head * hd + e] += scores[j] / sum * v[j][head * hd + e];
                }
            }
        }
        double[][] attn = linear(ctx, prefix + "self_attn.out_proj.");
        double[][] h1 = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) h1[i][j] = h[i][j] + attn[i][j];
        double[][] m = linear(layerNorm(h1, prefix + "layer_norm2."), prefix + "mlp.fc1.");
        for (double[] row : m) for (int j = 0; j < inter; j++) row[j] = act(hiddenAct, row[j]);
        double[][] mlp = linear(m, prefix + "mlp.fc2.");
        double[][] h2 = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) h2[i][j] = h1[i][j] + mlp[i][j];
        return h2;
    }

    private double[][] layerNorm(double[][] x, String prefix) {
        Tensor g = w.get(prefix + "weight"), b = w.get(prefix + "bias");
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0, var = 0;
            for (double v : x[i]) mean += v;
            mean /= x[i].length;
            for (double v : x[i]) var += (v - mean) * (v - mean);
            var /= x[i].length;
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g.getFloat(j) + b.getFloat(j);
            }
        }
        return out;
    }

    private double[][] linear(double[][] x, String prefix) {
        Tensor wt = w.get(prefix + "weight"), b = w.get(prefix + "bias");
        int outF = (int) wt.dim(0), inF = (int) wt.dim(1);
        double[][] y = new double[x.length][outF];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < outF; o++) {
                double s = b.getFloat(o);
                for (int e = 0; e < inF; e++) s += x[i][e] * wt.getFloat((long) o * inF + e);
                y[i][o] = s;
            }
        }
        return y;
    }

    static double act(String name, double x) {
        return switch (name) {
            case "gelu" -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case "gelu_pytorch_tanh" -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case "silu" -> x / (1 + Math.exp(-x));
            case "relu" -> Math.max(0, x);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** erf by its Maclaurin series (|x| < 3) or its continued fraction tail: independent of the production erf. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax, sum = ax;
            for (int k = 1; k < 200; k++) {
                term *= -ax * ax / k;
                sum += term / (2 * k + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
