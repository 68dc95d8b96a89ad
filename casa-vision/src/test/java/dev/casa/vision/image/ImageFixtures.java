package dev.casa.vision.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

/**
 * The Pillow-made fixtures in src/test/resources/images (see models/images/make_fixtures.py):
 * manifest.json describes each case; its expected bytes are in expected.bin.gz (offset, length) or,
 * for large outputs, only their SHA-256.
 */
final class ImageFixtures {
    static final Path DIR = resourceDir();
    static final JsonNode MANIFEST = readManifest();
    private static byte[] blob;

    private ImageFixtures() {}

    static Path source(String name) { return DIR.resolve("src").resolve(name); }

    /** The stored bytes of an entry, or null when only a checksum is stored. */
    static synchronized byte[] expectedBytes(JsonNode entry) {
        if (!entry.has("offset")) {
            return null;
        }
        if (blob == null) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(DIR.resolve("expected.bin.gz")))) {
                blob = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        int off = entry.get("offset").intValue();
        return Arrays.copyOfRange(blob, off, off + entry.get("length").intValue());
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The decode entry for a source file. */
    static JsonNode decodeEntry(String file) {
        for (JsonNode e : MANIFEST.get("decode")) {
            if (e.get("file").asText().equals(file)) {
                return e;
            }
        }
        throw new IllegalArgumentException("no decode fixture " + file);
    }

    /** Pillow's convert('RGB') of a source when stored, else our decode checked against the stored checksum. */
    static RgbImage pillowRgb(String file) {
        JsonNode e = decodeEntry(file);
        byte[] expected = expectedBytes(e);
        if (expected != null) {
            return RgbImage.ofRgbBytes(e.get("width").intValue(), e.get("height").intValue(), expected);
        }
        RgbImage decoded = ImageDecoder.decode(source(file));
        if (!sha256(decoded.toRgbBytes()).equals(e.get("sha256").asText())) {
            throw new AssertionError(file + ": decoded pixels differ from Pillow's (checksum)");
        }
        return decoded;
    }

    private static Path resourceDir() {
        try {
            return Path.of(ImageFixtures.class.getResource("/images/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode readManifest() {
        try {
            return new ObjectMapper().readTree(DIR.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
