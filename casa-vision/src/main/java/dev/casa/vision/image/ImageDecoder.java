package dev.casa.vision.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
 * <p>Bad input fails with an {@link ImageDecodeException} naming the source and the problem. The
 * dimensions in the header are checked against {@link #MAX_PIXELS} before any pixel memory is
 * allocated. Reader warnings (e.g. a truncated JPEG, which the JDK would otherwise decode to grey)
 * are errors, as Pillow refuses truncated images by default.
 */
public final class ImageDecoder {
    /** Largest accepted image (width × height), a guard against headers that would exhaust memory. */
    public static final long MAX_PIXELS = 100_000_000L;

    private static final Set<String> FORMATS = Set.of("png", "jpeg", "bmp", "gif");

    private ImageDecoder() {}

    public static RgbImage decode(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException(path + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new ImageDecodeException(path + ": cannot read file: " + e.getMessage(), e);
        }
        return decode(data, path.toString());
    }

    public static RgbImage decode(byte[] data) {
        return decode(data, "image data");
    }

    public static RgbImage decode(InputStream in) {
        try {
            return decode(in.readAllBytes(), "image stream");
        } catch (IOException | OutOfMemoryError e) {
            throw new ImageDecodeException("image stream: cannot read: " + e.getMessage(), e);
        }
    }

    private static RgbImage decode(byte[] data, String source) {
        if (data.length == 0) {
            throw new ImageDecodeException(source + ": empty file (0 bytes), not an image");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = readerFor(in, data, source);
            try {
                return read(reader, in, source);
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

    private static RgbImage read(ImageReader reader, ImageInputStream in, String source) throws IOException {
        reader.setInput(in, true, false);
        String format = formatOf(reader);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        checkDimensions(source, format, width, height);
        GifCanvas canvas = format.equals("gif") ? GifCanvas.of(reader) : null;
        if (canvas != null) {
            checkDimensions(source, format, canvas.width(), canvas.height());
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

    private static void checkDimensions(String source, String format, long width, long height) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(source + ": " + format.toUpperCase(Locale.ROOT) + " header gives an empty image ("
                    + width + "x" + height + ")");
        }
        if (width * height > MAX_PIXELS) {
            throw new ImageDecodeException(source + ": " + format.toUpperCase(Locale.ROOT) + " header gives " + width + "x"
                    + height + " = " + width * height + " pixels, more than the limit of " + MAX_PIXELS);
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
