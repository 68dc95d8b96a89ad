package dev.casa.text.model;

/** How CASA image keys are rotated (model-format.md §4.3). */
public enum ImageRope {
    /** Every image key of window m is rotated at the window's insertion point P_m. */
    WINDOW_START,
    /** Image keys are not rotated. */
    NONE;

    static ImageRope parse(String s) {
        return switch (s) {
            case "window_start" -> WINDOW_START;
            case "none" -> NONE;
            default -> throw new IllegalArgumentException("unknown image_rope '" + s + "' (expected window_start or none)");
        };
    }
}
