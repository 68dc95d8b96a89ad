package dev.casa.vision.image;

import dev.casa.core.io.BoundedFiles;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.w3c.dom.Node;

/**
 * Decodes PNG, JPEG, BMP and GIF (first frame) with the JDK's ImageIO readers into 8-bit RGB exactly
 * like Pillow's {@code Image.open(f).convert('RGB')} (see {@link RasterToRgb} for the mode rules).
 *
 * <p>Bad input fails with an {@link ImageDecodeException} naming the source and the problem. Sizes are
 * checked before memory is allocated for them: a file over {@link #MAX_FILE_BYTES} is not read, and
 * the dimensions in the header (for a GIF also its logical screen, which the first frame is drawn on)
 * are checked against a pixel limit ({@link #DEFAULT_MAX_PIXELS} unless given) and against the JVM's
 * maximum heap, before any pixel is decoded. Reader warnings (e.g. a truncated JPEG, which the JDK
 * would otherwise decode to grey) are errors, as Pillow refuses truncated images by default.
 */
public final class ImageDecoder {
    /**
     * Default largest image, width × height: Pillow's {@code Image.MAX_IMAGE_PIXELS} (89,478,485, about
     * 0.25 GiB of 24-bit pixels), above which Pillow warns of a decompression bomb. A guard against
     * headers that would exhaust memory; vision encoders resize to a few hundred pixels anyway.
     */
    public static final long DEFAULT_MAX_PIXELS = 89_478_485L;

    /** Largest image file or stream read: 256 MiB, more than any image within the pixel limit needs compressed. */
    public static final long MAX_FILE_BYTES = 256L << 20;

    /**
     * Heap a decode needs per pixel, at least: the decoded raster (4 bytes for 8-bit RGB(A)) and the RGB
     * copy (3). An image that cannot fit in the maximum heap is refused instead of ending in OutOfMemoryError.
     */
    static final int MIN_HEAP_BYTES_PER_PIXEL = 7;

    /** The pixel limit and the heap the size check compares against. */
    record Limits(long maxPixels, long maxHeapBytes) {
        static Limits of(long maxPixels) {
            if (maxPixels < 1) throw new IllegalArgumentException("maxPixels must be positive: " + maxPixels);
            return new Limits(maxPixels, Runtime.getRuntime().maxMemory());
        }
    }

    private static final Set<String> FORMATS = Set.of("png", "jpeg", "bmp", "gif");

    private ImageDecoder() {}

    /** Decodes an image file with the {@link #DEFAULT_MAX_PIXELS default pixel limit}. */
    public static RgbImage decode(Path path) {
        return decode(path, DEFAULT_MAX_PIXELS);
    }

    /** Decodes an image file, refusing images of more than {@code maxPixels} (width × height). */
    public static RgbImage decode(Path path, long maxPixels) {
        Limits limits = Limits.of(maxPixels);
        byte[] data;
        try {
            data = BoundedFiles.readAllBytes(path, MAX_FILE_BYTES, "image");
        } catch (IOException e) {
            // BoundedFiles' message is complete ("image <path>: no such file", "...: a named pipe (FIFO), ...").
            throw new ImageDecodeException(e.getMessage(), e);
        }
        return decode(data, path.toString(), limits);
    }

    /** Decodes image bytes with the {@link #DEFAULT_MAX_PIXELS default pixel limit}. */
    public static RgbImage decode(byte[] data) {
        return decode(data, DEFAULT_MAX_PIXELS);
    }

    /** Decodes image bytes, refusing images of more than {@code maxPixels} (width × height). */
    public static RgbImage decode(byte[] data, long maxPixels) {
        return decode(data, "image data", Limits.of(maxPixels));
    }

    /** Decodes an image stream (read to its end, at most {@link #MAX_FILE_BYTES}) with the default pixel limit. */
    public static RgbImage decode(InputStream in) {
        return decode(in, DEFAULT_MAX_PIXELS);
    }

    /** Decodes an image stream, refusing images of more than {@code maxPixels} (width × height). */
    public static RgbImage decode(InputStream in, long maxPixels) {
        Limits limits = Limits.of(maxPixels);
        byte[] data;
        try {
            data = in.readNBytes((int) MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new ImageDecodeException("image stream: cannot read: " + e.getMessage(), e);
        }
        if (data.length > MAX_FILE_BYTES) {
            throw new ImageDecodeException("image stream: more than " + MAX_FILE_BYTES + " bytes, over the limit for an image");
        }
        return decode(data, "image stream", limits);
    }

    static RgbImage decode(byte[] data, String source, Limits limits) {
        if (data.length == 0) {
            throw new ImageDecodeException(source + ": empty file (0 bytes), not an image");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = readerFor(in, data, source);
            try {
                return read(reader, in, source, limits);
            } catch (IOException | RuntimeException e) {
                if (e instanceof ImageDecodeException ide) {
                    throw ide;
                }
                // ImageIO reports corrupt data as IIOException and sometimes as unchecked exceptions.
                throw new ImageDecodeException(source + ": corrupt or truncated "
                        + formatOf(reader).toUpperCase(Locale.ROOT) + " data (" + describe(e) + ")", e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageDecodeException(source + ": cannot read image data (" + describe(e) + ")", e);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Throwable cause = e.getCause();
        if (cause != null && cause != e && cause.getMessage() != null) {
            message += ": " + cause.getMessage();
        }
        return message;
    }

    private static ImageReader readerFor(ImageInputStream in, byte[] data, String source) {
        String other = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReaders(in); it.hasNext(); ) {
            ImageReader reader = it.next();
            String format = formatOf(reader);
            if (FORMATS.contains(format)) {
                return reader;
            }
            other = other == null ? format : other;
            reader.dispose();
        }
        if (other != null) {
            throw new ImageDecodeException(source + ": unsupported image format " + other.toUpperCase(Locale.ROOT)
                    + " (supported: PNG, JPEG, BMP, GIF)");
        }
        byte[] head = Arrays.copyOf(data, Math.min(8, data.length));
        throw new ImageDecodeException(source + ": not a PNG, JPEG, BMP or GIF image (first bytes "
                + HexFormat.ofDelimiter(" ").formatHex(head) + ")");
    }

    private static RgbImage read(ImageReader reader, ImageInputStream in, String source, Limits limits) throws IOException {
        reader.setInput(in, true, false);
        String format = formatOf(reader);
        String name = format.toUpperCase(Locale.ROOT);
        // Header fields only: getWidth/getHeight and the metadata read no pixel data.
        checkDimensions(source, name + " header gives", reader.getWidth(0), reader.getHeight(0), limits);
        GifCanvas canvas = format.equals("gif") ? GifCanvas.of(reader) : null;
        if (canvas != null) {
            checkDimensions(source, "GIF logical screen is", canvas.width(), canvas.height(), limits);
        }

        Set<String> warnings = new LinkedHashSet<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        BufferedImage image = reader.read(0);
        if (!warnings.isEmpty()) {
            throw new ImageDecodeException(source + ": corrupt or truncated " + format.toUpperCase(Locale.ROOT)
                    + " data: " + String.join("; ", warnings));
        }
        RgbImage rgb;
        try {
            rgb = format.equals("png") ? convertPng(image, reader) : RasterToRgb.convert(image);
        } catch (ImageDecodeException e) {
            throw new ImageDecodeException(source + ": " + e.getMessage(), e);
        }
        return canvas == null ? rgb : canvas.place(rgb);
    }

    /**
     * Two PNG facts the decoded image hides. A 16-bit greyscale PNG with a tRNS colour key gets an alpha
     * band from the JDK, but Pillow opens it as "I" and clips. The JDK pads a short palette with black,
     * Pillow with its default grey ramp.
     */
    private static RgbImage convertPng(BufferedImage image, ImageReader reader) throws IOException {
        Node tree = reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        Node ihdr = child(tree, "IHDR");
        boolean grey = ihdr != null && "Grayscale".equals(attribute(ihdr, "colorType"));
        Node plte = child(tree, "PLTE");
        int paletteSize = plte == null ? -1 : plte.getChildNodes().getLength();
        return RasterToRgb.convert(image, grey || !image.getColorModel().hasAlpha(), paletteSize);
    }

    /** Refuses, before anything is decoded, an image that is empty, over the pixel limit, or larger than the heap. */
    private static void checkDimensions(String source, String what, long width, long height, Limits limits) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(source + ": " + what + " an empty image (" + width + "x" + height + ")");
        }
        long pixels = width * height; // both below 2^31: no overflow
        if (pixels > limits.maxPixels()) {
            throw new ImageDecodeException(source + ": " + what + " " + width + "x" + height + " = " + pixels
                    + " pixels, more than the limit of " + limits.maxPixels() + " pixels");
        }
        long heap = pixels * MIN_HEAP_BYTES_PER_PIXEL;
        if (heap > limits.maxHeapBytes()) {
            throw new ImageDecodeException(source + ": " + what + " " + width + "x" + height + " = " + pixels
                    + " pixels, which need at least " + (heap >> 20) + " MiB to decode, more than the maximum heap of "
                    + (limits.maxHeapBytes() >> 20) + " MiB (-Xmx)");
        }
    }

    static Node child(Node parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeName().equals(name)) {
                return n;
            }
        }
        return null;
    }

    static String attribute(Node node, String name) {
        Node a = node.getAttributes().getNamedItem(name);
        return a == null ? null : a.getNodeValue();
    }

    private static String formatOf(ImageReader reader) {
        try {
            return reader.getFormatName().toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            return "unknown";
        }
    }
}
