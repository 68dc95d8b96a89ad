package dev.casa.vision.processor;

/** How a processed image maps to the language model's image tokens. */
public sealed interface ImageLayout {

    /**
     * Qwen-VL: a grid of patches (HF's {@code image_grid_thw}); the merger joins
     * {@code mergeSize × mergeSize} patches into one token.
     */
    record PatchGrid(int t, int h, int w, int mergeSize) implements ImageLayout {
        public PatchGrid {
            if (t <= 0 || h <= 0 || w <= 0 || mergeSize <= 0 || h % mergeSize != 0 || w % mergeSize != 0) {
                throw new IllegalArgumentException("invalid patch grid " + t + "x" + h + "x" + w
                        + " with merge size " + mergeSize);
            }
        }

        public int mergedRows() { return h / mergeSize; }

        public int mergedCols() { return w / mergeSize; }

        /** Image tokens after the merger: t·h·w / merge². */
        public int tokens() { return t * mergedRows() * mergedCols(); }
    }

    /**
     * Idefics3/SmolVLM: {@code rows × cols} tiles of {@code tileSize²} pixels, then the global image;
     * rows = cols = 0 when the image is not split (the global image only).
     */
    record Tiles(int rows, int cols, int tileSize) implements ImageLayout {
        public Tiles {
            if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0) || tileSize <= 0) {
                throw new IllegalArgumentException("invalid tiling " + rows + "x" + cols + " of " + tileSize);
            }
        }

        public boolean isSplit() { return rows > 0; }

        /** Entries in pixel_values: the tiles plus the global image. */
        public int numTiles() { return isSplit() ? rows * cols + 1 : 1; }
    }

    /** SigLIP-style: one image resized to {@code size × size}. */
    record Fixed(int height, int width) implements ImageLayout {
        public Fixed {
            if (height <= 0 || width <= 0) {
                throw new IllegalArgumentException("invalid size " + width + "x" + height);
            }
        }
    }
}
