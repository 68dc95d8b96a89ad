package dev.casa.server;

import dev.casa.vision.image.ImageDecodeException;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns an image reference into pixels: a {@code data:} URI (base64 PNG, JPEG, GIF or BMP), or a local
 * path under {@code --allow-dir}. Never fetches a URL. The header's dimensions are checked against the
 * pixel limit before any pixel is decoded (a small file can claim a huge image: a decompression bomb).
 */
final class ImageLoader {
    private static final Pattern URL_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    private final AllowedDirs allowed;
    private final long maxPixels;
    private final long maxFileBytes;

    ImageLoader(AllowedDirs allowed, long maxPixels, long maxFileBytes) {
        this.allowed = allowed;
        this.maxPixels = maxPixels;
        this.maxFileBytes = maxFileBytes;
    }

    /** The bytes an image reference names (cheap: no pixel is decoded); refuses URLs and paths outside --allow-dir. */
    byte[] read(String param, String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        if (lower.startsWith("data:")) {
            return dataUri(param, url);
        } else if (lower.startsWith("file:") || url.startsWith("/")) {
            return allowed.read(param, url, maxFileBytes);
        } else if (URL_SCHEME.matcher(url).find()) {
            throw ApiException.invalid(param, "url_not_supported",
                    "This server never fetches URLs; send the image as a data: URI (data:image/png;base64,...).");
        } else {
            throw ApiException.invalid(param, "invalid_image_url",
                    "An image must be a data: URI (data:image/png;base64,...) or an absolute path under --allow-dir.");
        }
    }

    /**
     * Decodes image bytes (a frame body, or the bytes of a reference). Run in a generation slot, so
     * that the memory of decoded pixels is bounded by the slots, not by the requests in flight.
     */
    RgbImage decode(String param, byte[] data) {
        checkPixels(param, data);
        try {
            return ImageDecoder.decode(data);
        } catch (ImageDecodeException e) {
            throw ApiException.invalid(param, "invalid_image", "The image could not be decoded: " + e.getMessage());
        }
    }

    private static byte[] dataUri(String param, String url) {
        int comma = url.indexOf(',');
        if (comma < 0) throw ApiException.invalid(param, "invalid_image_url", "Malformed data: URI (no comma).");
        String meta = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) throw ApiException.invalid(param, "invalid_image_url", "A data: URI image must be base64 (data:image/png;base64,...).");
        String type = meta.substring(0, meta.length() - ";base64".length());
        if (!type.isEmpty() && !type.startsWith("image/")) {
            throw ApiException.invalid(param, "invalid_image_url", "A data: URI image must have an image/* media type, got '" + type + "'.");
        }
        try {
            return Base64.getMimeDecoder().decode(strictBase64(url.substring(comma + 1), param));
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(param, "invalid_image_url", "The data: URI is not valid base64: " + e.getMessage());
        }
    }

    /** Base64 characters and line breaks only (the MIME decoder would silently skip anything else). */
    private static String strictBase64(String s, String param) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n';
            if (!ok) throw ApiException.invalid(param, "invalid_image_url", "The data: URI is not valid base64 (character " + i + " is '" + c + "').");
        }
        return s;
    }

    private void checkPixels(String param, byte[] data) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) return;   // not an image: the decoder names the problem
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw ApiException.invalid(param, "image_too_large", "The image is " + reader.getWidth(0) + "x" + reader.getHeight(0)
                            + " = " + pixels + " pixels, more than this server's limit of " + maxPixels + ".");
                }
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) throw api;
            // An unreadable header: the decoder reports it with its own message.
        }
    }
}
