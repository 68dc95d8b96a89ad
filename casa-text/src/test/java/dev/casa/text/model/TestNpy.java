package dev.casa.text.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Minimal test-only reader of NumPy v1/v2 {@code <f4} C-order arrays (the fixtures' format). */
record TestNpy(long[] shape, float[] data) {
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    static TestNpy read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.get(0) != (byte) 0x93 || b.get(1) != 'N') throw new IOException(file + ": not a .npy file");
        int major = b.get(6);
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        String header = new String(b.array(), start, headerLen, StandardCharsets.ISO_8859_1);
        if (!header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False")) {
            throw new IOException(file + ": expected little-endian float32 in C order, header " + header);
        }
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) throw new IOException(file + ": no shape in header " + header);
        String[] dims = m.group(1).split(",");
        long[] shape = java.util.Arrays.stream(dims).map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        long n = 1;
        for (long d : shape) n *= d;
        float[] data = new float[Math.toIntExact(n)];
        b.position(start + headerLen);
        b.asFloatBuffer().get(data);
        return new TestNpy(shape, data);
    }
}
