package dev.casa.vision.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns a decoded {@link BufferedImage} into 8-bit RGB the way Pillow's {@code convert('RGB')} does.
 * Works on the raster's raw samples: {@code getRGB()} would apply colour-space conversion (a greyscale
 * JPEG came out up to 73 levels off).
 *
 * <ul>
 *   <li>palette: entry lookup; indices past the palette give Pillow's default grey ramp (i, i, i)</li>
 *   <li>greyscale: replicated; 1/2/4-bit scaled by 255 / (2^bits - 1)</li>
 *   <li>alpha: dropped, the stored colour of transparent pixels kept (not composited)</li>
 *   <li>16-bit greyscale without alpha: clipped to 255 (Pillow opens it as mode "I");
 *       every other 16-bit sample (RGB, RGBA, LA): the high byte (Pillow's ";16B" unpackers)</li>
 * </ul>
 */
final class RasterToRgb {
    private RasterToRgb() {}

    /** Converts with the rules read from the image itself (alpha means a real alpha channel). */
    static RgbImage convert(BufferedImage image) {
        return convert(image, !image.getColorModel().hasAlpha(), -1);
    }

    /**
     * @param clipGrey16  whether 16-bit greyscale is clipped (true for greyscale without a real alpha
     *                    channel, e.g. a PNG whose tRNS colour key the JDK expanded to alpha)
     * @param paletteSize entries the file's palette really has (the JDK may pad it), -1 if unknown
     */
    static RgbImage convert(BufferedImage image, boolean clipGrey16, int paletteSize) {
        if (image.isAlphaPremultiplied()) {
            image = unpremultiplied(image);
        }
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] out = new byte[Math.multiplyExact(3, Math.multiplyExact(width, height))];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            convertIndexed(raster, icm, paletteSize < 0 ? icm.getMapSize() : Math.min(paletteSize, icm.getMapSize()), out);
        } else {
            convertDirect(raster, cm, clipGrey16, out);
        }
        return new RgbImage(width, height, out);
    }

    /** A caller's premultiplied image (e.g. TYPE_INT_ARGB_PRE), divided back by alpha in a copy. */
    private static BufferedImage unpremultiplied(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        BufferedImage copy = new BufferedImage(cm, image.copyData(null), true, null);
        copy.coerceData(false);
        return copy;
    }

    private static void convertIndexed(Raster raster, IndexColorModel icm, int paletteSize, byte[] out) {
        int width = raster.getWidth();
        int entries = Math.max(256, 1 << raster.getSampleModel().getSampleSize(0));
        byte[] palette = new byte[3 * entries];
        for (int i = 0; i < entries; i++) {
            boolean inPalette = i < paletteSize;
            palette[3 * i] = (byte) (inPalette ? icm.getRed(i) : i);
            palette[3 * i + 1] = (byte) (inPalette ? icm.getGreen(i) : i);
            palette[3 * i + 2] = (byte) (inPalette ? icm.getBlue(i) : i);
        }
        int[] row = new int[width];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getSamples(0, y, width, 1, 0, row);
            for (int x = 0; x < width; x++) {
                int p = 3 * row[x];
                out[o++] = palette[p];
                out[o++] = palette[p + 1];
                out[o++] = palette[p + 2];
            }
        }
    }

    private static void convertDirect(Raster raster, ColorModel cm, boolean clipGrey16, byte[] out) {
        int transfer = raster.getTransferType();
        if (transfer == DataBuffer.TYPE_FLOAT || transfer == DataBuffer.TYPE_DOUBLE) {
            throw new ImageDecodeException("unsupported image: floating-point samples");
        }
        int colourType = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        boolean grey = colourType == ColorSpace.TYPE_GRAY && colours == 1;
        if (!grey && !(colourType == ColorSpace.TYPE_RGB && colours == 3)) {
            throw new ImageDecodeException("unsupported colour space " + colourSpaceName(colourType) + " with "
                    + colours + " components (only greyscale, RGB and palette images are supported)");
        }
        int bands = raster.getNumBands();
        int[][] lut = new int[colours][];
        for (int c = 0; c < colours; c++) {
            lut[c] = sampleTo8Bit(raster.getSampleModel().getSampleSize(c), grey && clipGrey16);
        }
        int width = raster.getWidth();
        int[] row = new int[width * bands];
        int o = 0;
        for (int y = 0; y < raster.getHeight(); y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0, p = 0; x < width; x++, p += bands) {
                if (grey) {
                    byte v = (byte) lut[0][row[p]];
                    out[o++] = v;
                    out[o++] = v;
                    out[o++] = v;
                } else {
                    out[o++] = (byte) lut[0][row[p]];
                    out[o++] = (byte) lut[1][row[p + 1]];
                    out[o++] = (byte) lut[2][row[p + 2]];
                }
            }
        }
    }

    private static String colourSpaceName(int type) {
        return switch (type) {
            case ColorSpace.TYPE_CMYK -> "CMYK";
            case ColorSpace.TYPE_YCbCr -> "YCbCr";
            case ColorSpace.TYPE_GRAY -> "greyscale";
            case ColorSpace.TYPE_RGB -> "RGB";
            default -> "type " + type;
        };
    }

    /** Table from an n-bit sample to Pillow's 8-bit value. */
    private static int[] sampleTo8Bit(int bits, boolean clip16) {
        if (bits < 1 || bits > 16) {
            throw new ImageDecodeException("unsupported image: " + bits + "-bit samples");
        }
        int[] lut = new int[1 << bits];
        int max = (1 << bits) - 1;
        for (int v = 0; v <= max; v++) {
            if (bits == 8) {
                lut[v] = v;
            } else if (bits < 8) {
                lut[v] = v * 255 / max;
            } else if (bits == 16 && clip16) {
                lut[v] = Math.min(v, 255);
            } else {
                lut[v] = v >>> (bits - 8);
            }
        }
        return lut;
    }
}
