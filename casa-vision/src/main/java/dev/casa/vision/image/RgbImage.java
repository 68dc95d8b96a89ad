package dev.casa.vision.image;

import java.awt.image.BufferedImage;
import java.util.Arrays;

/**
 * An 8-bit RGB image, pixels interleaved row by row (R, G, B, R, G, B, ...), the form every
 * preprocessing step works on. Immutable: the factories copy their input and {@link #toRgbBytes()}
 * returns a copy.
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] rgb;

    /** Takes ownership of {@code rgb} without copying (package-internal producers only). */
    RgbImage(int width, int height, byte[] rgb) {
        checkSize(width, height);
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("RGB data has " + rgb.length + " bytes, expected 3 x " + width
                    + " x " + height + " = " + (3L * width * height));
        }
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /** Raw interleaved RGB bytes from the caller (e.g. a video frame), copied. */
    public static RgbImage ofRgbBytes(int width, int height, byte[] rgb) {
        checkSize(width, height);
        return new RgbImage(width, height, rgb.clone());
    }

    /**
     * Converts a caller's image like Pillow's {@code convert('RGB')}: alpha dropped, greyscale and
     * palette expanded, 16-bit greyscale clipped to 255, other 16-bit samples reduced to their high byte.
     * Reads the raster's samples (no colour-space conversion).
     */
    public static RgbImage of(BufferedImage image) {
        return RasterToRgb.convert(image);
    }

    public int width() { return width; }

    public int height() { return height; }

    /** A copy of the interleaved RGB bytes. */
    public byte[] toRgbBytes() { return rgb.clone(); }

    /** The backing array, not copied: for this package's hot loops only. */
    byte[] data() { return rgb; }

    private static void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (3L * width * height > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("image " + width + "x" + height + " is too large for one array");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && other.width == width && other.height == height
                && Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() { return 31 * (31 * width + height) + Arrays.hashCode(rgb); }

    @Override
    public String toString() { return "RgbImage[" + width + "x" + height + "]"; }
}
