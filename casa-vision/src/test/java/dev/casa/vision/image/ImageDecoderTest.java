package dev.casa.vision.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Decoding against Pillow 9.4's Image.open(f).convert('RGB'). */
class ImageDecoderTest {

    static Stream<JsonNode> decodeCases() {
        List<JsonNode> cases = new ArrayList<>();
        ImageFixtures.MANIFEST.get("decode").forEach(cases::add);
        return cases.stream().filter(c -> !c.get("pillow_mode").asText().equals("CMYK"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decodeCases")
    void matchesPillowConvertRgb(JsonNode c) {
        String file = c.get("file").asText();
        RgbImage image = ImageDecoder.decode(ImageFixtures.source(file));
        assertEquals(c.get("width").intValue(), image.width(), file + " width");
        assertEquals(c.get("height").intValue(), image.height(), file + " height");
        byte[] actual = image.toRgbBytes();
        byte[] expected = ImageFixtures.expectedBytes(c);
        if (expected == null) {
            assertEquals(c.get("sha256").asText(), ImageFixtures.sha256(actual), file + " pixel checksum");
            return;
        }
        // JPEG included: the JDK's reader gives libjpeg-turbo's samples exactly (docs/architecture.md).
        assertEquals(0, maxDifference(expected, actual), file + " (Pillow mode " + c.get("pillow_mode").asText()
                + "): max |difference| to Pillow");
    }

    static int maxDifference(byte[] a, byte[] b) {
        assertEquals(a.length, b.length, "length");
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return max;
    }

    @Test
    void bytesStreamAndPathGiveTheSamePixels() throws IOException {
        Path png = ImageFixtures.source("rgba_transparent_40x30.png");
        byte[] data = Files.readAllBytes(png);
        RgbImage fromPath = ImageDecoder.decode(png);
        assertEquals(fromPath, ImageDecoder.decode(data));
        assertEquals(fromPath, ImageDecoder.decode(new ByteArrayInputStream(data)));
    }

    @Test
    void bufferedImageFromCallerConvertsLikePillow() throws IOException {
        // ImageIO's BufferedImage of a palette PNG with transparency, handed over by a caller
        Path png = ImageFixtures.source("p_trns_24x24.png");
        RgbImage viaBufferedImage = RgbImage.of(ImageIO.read(png.toFile()));
        assertArrayEquals(ImageFixtures.expectedBytes(ImageFixtures.decodeEntry("p_trns_24x24.png")),
                viaBufferedImage.toRgbBytes());
    }

    @Test
    void premultipliedBufferedImageIsDividedBack() {
        // TYPE_INT_ARGB_PRE stores colour × alpha; the caller's colour is what must come out
        var image = new java.awt.image.BufferedImage(2, 1, java.awt.image.BufferedImage.TYPE_INT_ARGB_PRE);
        image.setRGB(0, 0, 0xFF102030);                  // opaque: stored as is
        image.setRGB(1, 0, 0x80C86432);                  // half transparent (200, 100, 50)
        byte[] rgb = RgbImage.of(image).toRgbBytes();
        assertArrayEquals(new byte[] {0x10, 0x20, 0x30}, Arrays.copyOf(rgb, 3));
        for (int c = 0; c < 3; c++) {
            int expected = new int[] {200, 100, 50}[c];
            assertTrue(Math.abs((rgb[3 + c] & 0xff) - expected) <= 1, "channel " + c + ": " + (rgb[3 + c] & 0xff));
        }
    }

    @Test
    void bufferedImageTypesFromCallers() {
        // video frames arrive as TYPE_3BYTE_BGR or TYPE_INT_RGB: band order must come out R, G, B
        for (int type : new int[] {java.awt.image.BufferedImage.TYPE_3BYTE_BGR, java.awt.image.BufferedImage.TYPE_INT_RGB,
                java.awt.image.BufferedImage.TYPE_INT_BGR, java.awt.image.BufferedImage.TYPE_4BYTE_ABGR}) {
            var image = new java.awt.image.BufferedImage(1, 1, type);
            image.setRGB(0, 0, 0xFF0A141E);
            assertArrayEquals(new byte[] {10, 20, 30}, RgbImage.of(image).toRgbBytes(), "type " + type);
        }
        var grey16 = new java.awt.image.BufferedImage(3, 1, java.awt.image.BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setPixels(0, 0, 3, 1, new int[] {7, 255, 40000});
        assertArrayEquals(new byte[] {7, 7, 7, (byte) 255, (byte) 255, (byte) 255, (byte) 255, (byte) 255, (byte) 255},
                RgbImage.of(grey16).toRgbBytes(), "16-bit grey clipped like Pillow's I;16 -> RGB");
    }

    @Test
    void rawRgbBytesAreCopiedAndChecked() {
        byte[] rgb = {1, 2, 3, 4, 5, 6};
        RgbImage image = RgbImage.ofRgbBytes(2, 1, rgb);
        rgb[0] = 99;
        assertEquals(1, image.toRgbBytes()[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RgbImage.ofRgbBytes(3, 1, rgb));
        assertTrue(e.getMessage().contains("6 bytes") && e.getMessage().contains("9"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RgbImage.ofRgbBytes(0, 5, new byte[0]));
    }

    // ------------------------------------------------------------------ bad input

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rgb_scene_97x151.png", "jpeg420_160x120.jpg",
            "jpeg_progressive_75x50.jpg", "gif_57x43.gif", "bmp24_31x21.bmp", "bmp8_palette_26x14.bmp"})
    void truncatedFilesAreRejectedNotPartlyDecoded(String file) throws IOException {
        // Pillow refuses truncated images by default; the JDK would grey-fill a truncated JPEG.
        byte[] data = Files.readAllBytes(ImageFixtures.source(file));
        for (double keep : new double[] {0.9, 0.5, 0.1}) {
            byte[] truncated = Arrays.copyOf(data, (int) (data.length * keep));
            String format = file.substring(file.lastIndexOf('.') + 1).replace("jpg", "jpeg").toUpperCase();
            assertMessage(() -> ImageDecoder.decode(truncated), "corrupt or truncated " + format + " data");
        }
    }

    @Test
    void cmykJpegIsRefusedClearly() {
        // Pillow converts CMYK JPEGs; the library does not (documented limitation), and says so.
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> ImageDecoder.decode(ImageFixtures.source("jpeg_cmyk_12x8.jpg")));
        assertTrue(e.getMessage().contains("jpeg_cmyk_12x8.jpg") && e.getMessage().contains("CMYK"), e.getMessage());
    }

    @Test
    void textFileNamedJpgIsRejected(@TempDir Path dir) throws IOException {
        Path fake = dir.resolve("cat.jpg");
        Files.writeString(fake, "This is not a JPEG, just some text.\n");
        String message = assertMessage(() -> ImageDecoder.decode(fake), "not a PNG, JPEG, BMP or GIF image");
        assertTrue(message.contains("cat.jpg"), message);
    }

    @Test
    void emptyFileIsRejected(@TempDir Path dir) throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.png"));
        assertMessage(() -> ImageDecoder.decode(empty), "empty file (0 bytes)");
    }

    @Test
    void missingFileIsRejected(@TempDir Path dir) {
        assertMessage(() -> ImageDecoder.decode(dir.resolve("missing.png")), "no such file");
    }

    @Test
    void hugeDimensionsAreRejectedBeforeDecoding() {
        // a valid PNG header (with correct CRC) claiming 100000 x 100000 pixels, then a tiny IDAT
        byte[] png = pngWithHeader(100_000, 100_000);
        String message = assertMessage(() -> ImageDecoder.decode(png), "more than the limit");
        assertTrue(message.contains("100000x100000"), message);
    }

    /**
     * Issue 13: a 35-byte GIF whose logical screen is 10000x10000 (a 1x1 frame) made the decoder allocate the
     * 300 MB screen and die with OutOfMemoryError under -Xmx256m. The screen is now checked from the stream
     * metadata, before any pixel is decoded: the message names the screen, which only that check reports.
     */
    @Test
    void gifLogicalScreenIsCheckedBeforeDecoding() {
        byte[] gif = gifWithScreen(10_000, 10_000);
        assertTrue(gif.length < 62, "a tiny file: " + gif.length);
        assertEquals(1, ImageDecoder.decode(gifWithScreen(1, 1)).width(), "the crafted GIF is valid");
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(gif));
        assertEquals("image data: GIF logical screen is 10000x10000 = 100000000 pixels, more than the limit of 89478485 pixels",
                e.getMessage());
        // Within a raised pixel limit, the heap check still refuses it under -Xmx256m.
        ImageDecoder.Limits small = new ImageDecoder.Limits(200_000_000L, 256L << 20);
        ImageDecodeException heap = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(gif, "small.gif", small));
        assertEquals("small.gif: GIF logical screen is 10000x10000 = 100000000 pixels, which need at least 667 MiB to decode,"
                + " more than the maximum heap of 256 MiB (-Xmx)", heap.getMessage());
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path png = ImageFixtures.source("rgb_scene_97x151.png");
        assertEquals(97, ImageDecoder.decode(png, 97 * 151).width());
        String message = assertMessage(() -> ImageDecoder.decode(png, 97 * 151 - 1), "more than the limit of 14646 pixels");
        assertTrue(message.contains("PNG header gives 97x151 = 14647 pixels"), message);
        byte[] data = Files.readAllBytes(png);
        assertMessage(() -> ImageDecoder.decode(data, 100), "more than the limit of 100 pixels");
        assertMessage(() -> ImageDecoder.decode(new ByteArrayInputStream(data), 100), "more than the limit of 100 pixels");
        assertThrows(IllegalArgumentException.class, () -> ImageDecoder.decode(data, 0));
    }

    @Test
    void specialFilesAreRefusedWithoutReading(@TempDir Path dir) throws Exception {
        assertMessage(() -> ImageDecoder.decode(dir), "a directory, not a regular file");
        assertMessage(() -> ImageDecoder.decode(Path.of("/dev/zero")), "a character device, not a regular file");
        Path fifo = dir.resolve("photo.png");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0);
        // Reading a FIFO with no writer would block forever.
        assertMessage(() -> ImageDecoder.decode(fifo), "a named pipe (FIFO), not a regular file");
    }

    @Test
    void endlessStreamIsCutAtTheFileLimit() {
        java.io.InputStream zeros = new java.io.InputStream() {
            @Override public int read() { return 0; }
            @Override public int read(byte[] b, int off, int len) { Arrays.fill(b, off, off + len, (byte) 0); return len; }
        };
        assertMessage(() -> ImageDecoder.decode(zeros), "image stream: more than 268435456 bytes");
    }

    @Test
    void zeroDimensionsAreRejected() {
        assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(pngWithHeader(0, 0)));
    }

    @Test
    void unsupportedFormatIsNamed() throws IOException {
        // TIFF: readable by the JDK but not one of the formats the model pipeline supports
        var image = new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, "tiff", tiff));
        assertMessage(() -> ImageDecoder.decode(tiff.toByteArray()), "unsupported image format TIF");
    }

    private static String assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, call);
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        return e.getMessage();
    }

    static byte[] pngWithHeader(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A GIF89a whose logical screen is {@code width x height}, holding one 1x1 frame at (0, 0). */
    static byte[] gifWithScreen(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes(StandardCharsets.US_ASCII));
        b.putShort((short) width).putShort((short) height).put((byte) 0x80).put((byte) 0).put((byte) 0); // 2-colour table
        b.put(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        b.put((byte) 0x2C).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1).put((byte) 0);
        // LZW, minimum code size 2: clear (4), index 0, end (5) in 3-bit codes, least significant bit first.
        b.put((byte) 2).put((byte) 2).put((byte) 0x44).put((byte) 0x01).put((byte) 0);
        b.put((byte) 0x3B);
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
