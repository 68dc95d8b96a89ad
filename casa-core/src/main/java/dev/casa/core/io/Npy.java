package dev.casa.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * NumPy {@code .npy} files (format versions 1.0 to 3.0 read, 1.0 written): little-endian, C order,
 * any rank. Writes {@code <f4}, {@code <i4} and {@code <i8} byte for byte as NumPy's
 * {@code np.save} does; reads the little-endian numeric and bool dtypes. Writing is atomic: the
 * target appears only once complete.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Arrays are read onto the heap: one byte[] bounds their size. */
    private static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 64;
    /** NumPy pads the header so the data starts at a multiple of this. */
    private static final int ARRAY_ALIGN = 64;
    /** NumPy leaves room to grow the first dimension in place up to this many digits. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;

    private Npy() {}

    /** Reads {@code file}; a malformed or unsupported file is an {@link NpyException} naming it. */
    public static NpyArray read(Path file) throws IOException {
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new NpyException(file + ": file not found");
        }
        if (fileSize > MAX_DATA_BYTES) {
            throw new NpyException(file + ": " + fileSize + " bytes is too large to read onto the heap");
        }
        // Bounded, regular files only: a FIFO or /dev/zero named as an .npy file is refused, not read.
        return parse(BoundedFiles.readAllBytes(file, MAX_DATA_BYTES, ".npy file"), file.toString());
    }

    /** Parses the bytes of an {@code .npy} file; {@code source} names it in errors. */
    public static NpyArray parse(byte[] bytes, String source) throws NpyException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(bytes, 0, 6, MAGIC, 0, 6)) {
            throw new NpyException(source + ": not a .npy file (bad magic, expected \\x93NUMPY)");
        }
        int major = bytes[6] & 0xFF;
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = buf.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new NpyException(source + ": truncated header");
            headerLength = buf.getInt(8) & 0xFFFF_FFFFL;
            headerStart = 12;
        } else {
            throw new NpyException(source + ": unsupported .npy format version " + major + "." + (bytes[7] & 0xFF));
        }
        if (headerStart + headerLength > bytes.length) {
            throw new NpyException(source + ": header length " + headerLength + " runs past the end of the file ("
                    + bytes.length + " bytes)");
        }
        // v1/v2 headers are latin-1; v3 is UTF-8. The keys and values we accept are ASCII either way.
        String header = new String(bytes, headerStart, (int) headerLength,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = NpyHeader.parse(header, source);
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new NpyException(source + ": header keys are " + dict.keySet()
                    + ", expected descr, fortran_order and shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new NpyException(source + ": descr " + dict.get("descr") + " is not a simple dtype string"
                    + " (structured dtypes are not supported)");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new NpyException(source + ": fortran_order is not True or False");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new NpyException(source + ": shape is not a tuple of integers");
        }
        if (descr.startsWith(">")) {
            throw new NpyException(source + ": big-endian dtype " + descr + " is not supported (save as little-endian)");
        }
        int itemSize = NpyArray.itemSize(descr);
        if (itemSize < 0) {
            throw new NpyException(source + ": unsupported dtype " + descr
                    + " (supported: <f2 <f4 <f8 |i1 |u1 |b1 <i2 <u2 <i4 <u4 <i8 <u8)");
        }
        if (fortran) {
            throw new NpyException(source + ": fortran_order arrays are not supported (save a C-order array,"
                    + " e.g. np.ascontiguousarray)");
        }
        long count = 1;
        for (long d : shape) {
            if (d < 0) throw new NpyException(source + ": negative dimension in shape " + Arrays.toString(shape));
            count = d == 0 ? 0 : (count > MAX_DATA_BYTES / d ? MAX_DATA_BYTES + 1 : count * d);
        }
        long dataStart = headerStart + headerLength;
        long available = bytes.length - dataStart;
        if (count > MAX_DATA_BYTES || count * itemSize != available) {
            throw new NpyException(source + ": shape " + Arrays.toString(shape) + " of " + descr + " needs "
                    + (count > MAX_DATA_BYTES ? "more than " + MAX_DATA_BYTES : count * itemSize)
                    + " data bytes but the file holds " + available);
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) dataStart, (int) available).slice();
        return new NpyArray(descr, shape, data);
    }

    /** Writes {@code values} as a {@code <f4} array of {@code shape} (C order). */
    public static void writeFloats(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer data = dataBuffer(values.length, 4, shape);
        for (float v : values) data.putFloat(v);
        write(file, "<f4", shape, data.flip());
    }

    /** Writes {@code values} as a {@code <i4} array of {@code shape} (C order). */
    public static void writeInts(Path file, int[] values, long... shape) throws IOException {
        ByteBuffer data = dataBuffer(values.length, 4, shape);
        for (int v : values) data.putInt(v);
        write(file, "<i4", shape, data.flip());
    }

    /** Writes {@code values} as a {@code <i8} array of {@code shape} (C order). */
    public static void writeLongs(Path file, long[] values, long... shape) throws IOException {
        ByteBuffer data = dataBuffer(values.length, 8, shape);
        for (long v : values) data.putLong(v);
        write(file, "<i8", shape, data.flip());
    }

    private static ByteBuffer dataBuffer(int length, int itemSize, long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            count = Math.multiplyExact(count, d);
        }
        if (count != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape)
                    + " (" + count + " elements)");
        }
        return ByteBuffer.allocate(Math.multiplyExact(length, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void write(Path file, String descr, long[] shape, ByteBuffer data) throws IOException {
        ByteBuffer header = ByteBuffer.wrap(header(descr, shape));
        AtomicFiles.write(file, channel -> {
            AtomicFiles.writeFully(channel, header);
            AtomicFiles.writeFully(channel, data);
        });
    }

    /** Magic, version 1.0, length and the padded header dict, exactly as NumPy 1.24 writes them. */
    static byte[] header(String descr, long[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr)
                .append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) dict.append(", ");
            dict.append(shape[i]);
        }
        if (shape.length == 1) dict.append(',');
        dict.append("), }");
        if (shape.length > 0) dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length()));
        int withNewline = dict.length() + 1;
        int padding = ARRAY_ALIGN - (10 + withNewline) % ARRAY_ALIGN;
        dict.append(" ".repeat(padding)).append('\n');
        if (dict.length() > 0xFFFF) throw new IllegalArgumentException("shape too long for a v1.0 header");
        byte[] text = dict.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return out.array();
    }
}
