package dev.casa.spark;

import dev.casa.Quantization;

/**
 * The {@code quantize} option: {@code none} (or unset) loads the weights as stored; {@code q8_0} or
 * {@code q4_0} quantizes the Linear layers in memory when an executor loads the model
 * ({@link dev.casa.LoadOptions#quantize}; docs/quantization.md says which tensors).
 */
final class Quantize {
    static final String NONE = "none";

    private Quantize() {}

    /** The normalised value ({@code none} for null or blank); a bad value is an error listing the accepted ones. */
    static String check(String value) {
        return Quantization.parse(value).optionName();
    }
}
