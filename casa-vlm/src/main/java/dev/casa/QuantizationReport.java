package dev.casa;

import dev.casa.core.tensor.WeightFormat;
import java.util.Map;

/**
 * What a load quantized ({@link CasaModel#quantizationReport()}): each matrix quantized, by tensor name, with its
 * format, and each matrix the quantization would have taken but left as loaded, with the reason.
 */
public record QuantizationReport(Quantization quantization, Map<String, WeightFormat> quantized, Map<String, Kept> kept) {

    /** Why a matrix stayed as loaded. */
    public enum Kept {
        /** It matched an exclude pattern. */
        EXCLUDED,
        /** Its rows (K) are not a multiple of the 32-weight block. */
        ROWS_NOT_WHOLE_BLOCKS,
        /** It was already in a block format (a quantized directory). */
        ALREADY_QUANTIZED
    }

    public QuantizationReport {
        quantized = Map.copyOf(quantized);
        kept = Map.copyOf(kept);
    }
}
