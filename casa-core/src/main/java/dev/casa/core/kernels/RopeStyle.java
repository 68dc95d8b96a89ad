package dev.casa.core.kernels;

/** How RoPE pairs the dimensions of a head. */
public enum RopeStyle {
    /** Pairs (2k, 2k+1): HF Helium ({@code rotate_half} with {@code repeat_interleave}). */
    INTERLEAVED,
    /** Pairs (k, k + headDim/2): HF Llama/Qwen {@code rotate_half}. */
    HALF;

    public static RopeStyle parse(String s) {
        return switch (s) {
            case "interleaved" -> INTERLEAVED;
            case "half" -> HALF;
            default -> throw new IllegalArgumentException("unknown rope_style '" + s + "' (expected interleaved or half)");
        };
    }
}
