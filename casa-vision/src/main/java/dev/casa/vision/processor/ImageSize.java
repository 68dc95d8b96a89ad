package dev.casa.vision.processor;

/** A height and width in pixels, in HF's (height, width) order. */
public record ImageSize(int height, int width) {

    public long pixels() { return (long) height * width; }

    @Override
    public String toString() { return width + "x" + height; }
}
