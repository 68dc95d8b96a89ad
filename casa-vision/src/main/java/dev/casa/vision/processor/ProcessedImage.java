package dev.casa.vision.processor;

import java.util.Arrays;

/**
 * One image's {@code pixel_values}, C order, exactly HF's array for that image, with its shape and the
 * layout the language model needs to place the image tokens.
 *
 * @param pixels float32 values, {@code product(shape)} of them
 * @param shape  HF's shape: Qwen-VL [patches, C·T·P·P], Idefics3 [tiles, C, H, W], SigLIP [C, H, W]
 * @param layout how the pixels map to image tokens
 */
public record ProcessedImage(float[] pixels, long[] shape, ImageLayout layout) {
    /** The most values one Java array holds; processors refuse larger outputs before allocating. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    public ProcessedImage {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        if (n != pixels.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + pixels.length);
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProcessedImage p && Arrays.equals(p.pixels, pixels) && Arrays.equals(p.shape, shape)
                && p.layout.equals(layout);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(pixels) + Arrays.hashCode(shape)) + layout.hashCode();
    }

    @Override
    public String toString() {
        return "ProcessedImage[shape=" + Arrays.toString(shape) + ", layout=" + layout + "]";
    }
}
