package dev.casa.bench.quant;

import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal GGUF v3 writer (ggml's {@code docs/gguf.md}): header, key/value metadata, tensor infos, then the
 * tensor data, each at a multiple of the 32-byte default alignment. Tensors are written with their bytes
 * unchanged: F32, F16 and BF16 elements, and Q8_0/Q4_0 blocks, which are GGML's {@code block_q8_0} /
 * {@code block_q4_0} already. GGUF lists dimensions innermost first, so a row-major {@code [rows, cols]}
 * matrix is {@code ne = [cols, rows]}.
 */
public final class GgufWriter {
    private static final int MAGIC = 0x46554747;   // "GGUF" little-endian
    private static final int VERSION = 3;
    static final int ALIGNMENT = 32;

    // gguf_type
    private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

    private record Entry(String name, long[] ne, int type, MemorySegment data) {}

    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int kvCount;
    private final List<Entry> tensors = new ArrayList<>();

    /** The ggml_type of a weight format. */
    static int ggmlType(WeightFormat f) {
        return switch (f.name()) {
            case "F32" -> 0;
            case "F16" -> 1;
            case "Q4_0" -> 2;
            case "Q8_0" -> 8;
            case "BF16" -> 30;
            default -> throw new IllegalArgumentException("no GGML type for " + f);
        };
    }

    public GgufWriter string(String key, String value) {
        key(key, STRING);
        putString(value);
        return this;
    }

    public GgufWriter u32(String key, long value) {
        key(key, UINT32);
        putInt((int) value);
        return this;
    }

    public GgufWriter i32(String key, int value) {
        key(key, INT32);
        putInt(value);
        return this;
    }

    public GgufWriter f32(String key, double value) {
        key(key, FLOAT32);
        putInt(Float.floatToRawIntBits((float) value));
        return this;
    }

    public GgufWriter bool(String key, boolean value) {
        key(key, BOOL);
        kv.write(value ? 1 : 0);
        return this;
    }

    public GgufWriter strings(String key, List<String> values) {
        key(key, ARRAY);
        putInt(STRING);
        putLong(values.size());
        for (String v : values) putString(v);
        return this;
    }

    /** A tensor stored with its format's bytes; {@code t}'s shape is row-major. */
    public GgufWriter tensor(String name, Tensor t) {
        long[] shape = t.shape();
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        tensors.add(new Entry(name, ne, ggmlType(t.format()), t.data()));
        return this;
    }

    /** Writes the file (to a temporary name first, then renamed). */
    public void write(Path file) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer b = le(24).putInt(MAGIC).putInt(VERSION).putLong(tensors.size()).putLong(kvCount);
        head.write(b.array());
        head.write(kv.toByteArray());
        long offset = 0;
        for (Entry e : tensors) {
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            ByteBuffer info = le(8 + name.length + 4 + 8 * e.ne().length + 4 + 8);
            info.putLong(name.length).put(name).putInt(e.ne().length);
            for (long d : e.ne()) info.putLong(d);
            info.putInt(e.type()).putLong(offset);
            head.write(info.array());
            offset = align(offset + e.data().byteSize());
        }
        int pad = (int) (align(head.size()) - head.size());
        head.write(new byte[pad]);
        Path tmp = file.resolveSibling(file.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(head.toByteArray()));
            long written = 0;
            for (Entry e : tensors) {
                long size = e.data().byteSize();
                for (long at = 0; at < size; at += 1 << 24) {
                    writeFully(ch, e.data().asSlice(at, Math.min(1 << 24, size - at)).asByteBuffer());
                }
                written += size;
                long aligned = align(written);
                if (aligned > written) writeFully(ch, ByteBuffer.allocate((int) (aligned - written)));
                written = aligned;
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    private void key(String key, int type) {
        putString(key);
        putInt(type);
        kvCount++;
    }

    private void putString(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        putLong(bytes.length);
        kv.writeBytes(bytes);
    }

    private void putInt(int v) {
        kv.writeBytes(le(4).putInt(v).array());
    }

    private void putLong(long v) {
        kv.writeBytes(le(8).putLong(v).array());
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
