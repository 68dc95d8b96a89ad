package dev.casa;

import dev.casa.core.tensor.WeightFormat;
import java.util.Locale;

/**
 * Quantizing a model's weights in memory at load ({@link LoadOptions#quantize}): which block format the
 * Linear layers get. The policy (which tensors, the output head, what stays as loaded) is in
 * docs/quantization.md and {@link dev.casa.family.QuantizationPolicy}.
 */
public enum Quantization {
    /** Weights as stored in the model directory. */
    NONE,
    /** Linear layers and the output head to Q8_0 (8.5 bits per weight). */
    Q8_0,
    /** Linear layers to Q4_0 (4.5 bits per weight), the output head to Q8_0 (common practice: the head is the most sensitive matrix). */
    Q4_0;

    // Formats are looked up when asked, not held in the constants: touching Quantization (LoadOptions.defaults(),
    // option parsing) must not initialise the Vector API classes before CasaModel.load checks the JVM has them.

    /** The format of the Linear layers, or null for {@link #NONE}. */
    public WeightFormat linearFormat() {
        return switch (this) {
            case NONE -> null;
            case Q8_0 -> WeightFormat.Q8_0;
            case Q4_0 -> WeightFormat.Q4_0;
        };
    }

    /** The format of the output head (also the embedding matrix when the two are tied), or null for {@link #NONE}. */
    public WeightFormat headFormat() {
        return this == NONE ? null : WeightFormat.Q8_0;
    }

    /** The lower-case name used on command lines and in options: {@code none}, {@code q8_0}, {@code q4_0}. */
    public String optionName() { return name().toLowerCase(Locale.ROOT); }

    /**
     * {@code none}, {@code q8_0} or {@code q4_0} (any case; null or blank is {@code none}).
     *
     * @throws IllegalArgumentException for any other value, listing the accepted ones
     */
    public static Quantization parse(String value) {
        if (value == null || value.isBlank()) return NONE;
        String v = value.strip();
        for (Quantization q : values()) {
            if (q.optionName().equalsIgnoreCase(v)) return q;
        }
        throw new IllegalArgumentException("quantize must be one of none, q8_0, q4_0; got '" + value + "'");
    }
}
