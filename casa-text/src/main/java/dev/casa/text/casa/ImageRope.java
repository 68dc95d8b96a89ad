package dev.casa.text.casa;

/**
 * How CASA rotates image keys (model-format.md §4.3, casa-qwen.md §4.3): not at all; all at the window
 * start s (all M-RoPE axes equal to s); or {@code mrope_grid}, key (r, c) of its image's merged grid at
 * the M-RoPE position (s, s + r, s + c).
 */
public enum ImageRope {
    NONE, WINDOW_START, MROPE_GRID;

    public static ImageRope parse(String s) {
        return switch (s) {
            case "none" -> NONE;
            case "window_start" -> WINDOW_START;
            case "mrope_grid" -> MROPE_GRID;
            default -> throw new IllegalArgumentException("expected \"none\", \"window_start\" or \"mrope_grid\", found \"" + s + "\"");
        };
    }
}
