package dev.casa.spark;

import java.util.List;
import java.util.Locale;

/**
 * The {@code quantize} option. The values are the weight formats of casa-java's quantized loading
 * ({@code q8_0}, {@code q4_0}); {@code none} (or unset) loads the weights as stored. This build of the
 * library has no quantized loading yet, so a format is accepted by name and then refused with a clear
 * error before any task runs, rather than silently running unquantized.
 */
final class Quantize {
    static final String NONE = "none";
    static final List<String> FORMATS = List.of("q8_0", "q4_0");

    private Quantize() {}

    /** The normalised value ({@code none} for null or blank); a bad or unavailable value is an error. */
    static String check(String value) {
        if (value == null || value.isBlank()) return NONE;
        String v = value.strip().toLowerCase(Locale.ROOT);
        if (v.equals(NONE)) return NONE;
        if (!FORMATS.contains(v)) {
            throw new IllegalArgumentException("quantize must be one of none, q8_0, q4_0; got '" + value + "'");
        }
        throw new IllegalArgumentException("quantize '" + v + "' is not available: this build of casa-java has no "
                + "quantized loading (CasaModel loads weights as stored); use quantize none");
    }
}
