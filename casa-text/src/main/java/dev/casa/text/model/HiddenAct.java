package dev.casa.text.model;

import dev.casa.core.kernels.Activations;

/** The MLP activation of {@code text_config.hidden_act}: {@code act(gate) * up}. */
public enum HiddenAct {
    SILU, GELU, GELU_TANH;

    public static HiddenAct parse(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "gelu_pytorch_tanh", "gelu_new" -> GELU_TANH;
            default -> throw new IllegalArgumentException(
                    "unsupported activation '" + name + "' (expected silu, gelu or gelu_pytorch_tanh)");
        };
    }

    /** {@code gate[i] = act(gate[i]) * up[i]} over {@code length} elements. */
    void gatedProduct(float[] gate, int gateOffset, float[] up, int upOffset, int length) {
        switch (this) {
            case SILU -> Activations.swiglu(gate, gateOffset, up, upOffset, length);
            case GELU -> {
                Activations.gelu(gate, gateOffset, length);
                multiply(gate, gateOffset, up, upOffset, length);
            }
            case GELU_TANH -> {
                Activations.geluTanh(gate, gateOffset, length);
                multiply(gate, gateOffset, up, upOffset, length);
            }
        }
    }

    private static void multiply(float[] a, int aOffset, float[] b, int bOffset, int length) {
        for (int i = 0; i < length; i++) a[aOffset + i] *= b[bOffset + i];
    }
}
