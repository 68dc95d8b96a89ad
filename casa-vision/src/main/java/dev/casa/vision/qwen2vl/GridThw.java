package dev.casa.vision.qwen2vl;

/**
 * One image's (or video's) patch grid, HF {@code image_grid_thw}: {@code t} temporal patches (1 for an
 * image), {@code h} × {@code w} spatial patches. Its {@code pixel_values} are {@code t·h·w} rows.
 */
public record GridThw(int t, int h, int w) {

    public GridThw {
        if (t < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException("grid (t, h, w) must be positive, got (" + t + ", " + h + ", " + w + ")");
        }
        if ((long) t * h * w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("grid (" + t + ", " + h + ", " + w + ") has too many patches");
        }
    }

    /** Patch rows: {@code t·h·w}. */
    public int patches() { return t * h * w; }

    /** Merged tokens (rows of the tower's output): {@code t·h·w / merge²}. */
    public int tokens(int spatialMergeSize) { return patches() / (spatialMergeSize * spatialMergeSize); }

    @Override
    public String toString() { return "[" + t + ", " + h + ", " + w + "]"; }
}
