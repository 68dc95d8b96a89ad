package dev.casa.vision;

/**
 * What a {@link VisionTower} or a {@link Connector} hands on: {@code images · tokens} rows of {@code width}
 * floats (row-major), image by image (tiles of one picture count as images), each image's rows in raster order
 * of its {@code gridRows × gridCols} token grid.
 */
public record VisionFeatures(float[] values, int images, int tokens, int width, int gridRows, int gridCols) {
    public VisionFeatures {
        if (images < 0 || tokens < 0 || width < 1 || (long) gridRows * gridCols != tokens) {
            throw new IllegalArgumentException("features of " + images + " image(s) x " + tokens + " tokens on a "
                    + gridRows + "x" + gridCols + " grid, width " + width);
        }
        if (values.length != (long) images * tokens * width) {
            throw new IllegalArgumentException(values.length + " floats for " + images + " x " + tokens + " x " + width);
        }
    }

    /** All rows, {@code images · tokens}. */
    public int rows() { return images * tokens; }
}
