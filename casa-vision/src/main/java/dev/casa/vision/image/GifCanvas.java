package dev.casa.vision.image;

import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.Node;

/**
 * Pillow's first GIF frame is the whole logical screen: the frame is drawn at its offset and the rest
 * is filled with palette entry {@code transparentIndex} (or 0 without transparency). The JDK reader
 * returns only the frame's rectangle; this puts it back on the screen.
 */
record GifCanvas(int width, int height, int left, int top, int fillR, int fillG, int fillB) {

    /** The canvas of the first frame, or null when the frame covers the screen exactly. */
    static GifCanvas of(ImageReader reader) throws IOException {
        IIOMetadata stream = reader.getStreamMetadata();
        IIOMetadata image = reader.getImageMetadata(0);
        Node descriptor = ImageDecoder.child(image.getAsTree("javax_imageio_gif_image_1.0"), "ImageDescriptor");
        int frameW = reader.getWidth(0);
        int frameH = reader.getHeight(0);
        int left = descriptor == null ? 0 : Integer.parseInt(ImageDecoder.attribute(descriptor, "imageLeftPosition"));
        int top = descriptor == null ? 0 : Integer.parseInt(ImageDecoder.attribute(descriptor, "imageTopPosition"));
        int screenW = frameW;
        int screenH = frameH;
        if (stream != null) {
            Node screen = ImageDecoder.child(stream.getAsTree("javax_imageio_gif_stream_1.0"), "LogicalScreenDescriptor");
            if (screen != null) {
                screenW = Integer.parseInt(ImageDecoder.attribute(screen, "logicalScreenWidth"));
                screenH = Integer.parseInt(ImageDecoder.attribute(screen, "logicalScreenHeight"));
            }
        }
        // Pillow grows the screen when the first frame reaches past it.
        screenW = Math.max(screenW, left + frameW);
        screenH = Math.max(screenH, top + frameH);
        if (screenW == frameW && screenH == frameH) {
            return null;
        }
        int fillIndex = 0;
        Node control = ImageDecoder.child(image.getAsTree("javax_imageio_gif_image_1.0"), "GraphicControlExtension");
        if (control != null && "TRUE".equalsIgnoreCase(ImageDecoder.attribute(control, "transparentColorFlag"))) {
            fillIndex = Integer.parseInt(ImageDecoder.attribute(control, "transparentColorIndex"));
        }
        int[] rgb = paletteEntry(reader, fillIndex);
        return new GifCanvas(screenW, screenH, left, top, rgb[0], rgb[1], rgb[2]);
    }

    private static int[] paletteEntry(ImageReader reader, int index) throws IOException {
        var type = reader.getRawImageType(0);
        if (type != null && type.getColorModel() instanceof java.awt.image.IndexColorModel icm
                && index < icm.getMapSize()) {
            return new int[] {icm.getRed(index), icm.getGreen(index), icm.getBlue(index)};
        }
        return new int[] {index, index, index};
    }

    RgbImage place(RgbImage frame) {
        byte[] out = new byte[3 * width * height];
        for (int i = 0; i < out.length; i += 3) {
            out[i] = (byte) fillR;
            out[i + 1] = (byte) fillG;
            out[i + 2] = (byte) fillB;
        }
        byte[] src = frame.data();
        for (int y = 0; y < frame.height(); y++) {
            System.arraycopy(src, 3 * y * frame.width(), out, 3 * ((top + y) * width + left), 3 * frame.width());
        }
        return new RgbImage(width, height, out);
    }
}
