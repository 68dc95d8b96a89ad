package dev.casa.core.safetensors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.io.AtomicFiles;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Numbers;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a {@code .safetensors} file, streaming each tensor's bytes to disk chunk by chunk, so
 * multi-GB files never sit in memory. Layout as the HF reference writer: {@code __metadata__}
 * first, tensors ordered by element size (largest first) then name, so every tensor is aligned to
 * its element size; the JSON header is padded with spaces to a multiple of 8 bytes. The file
 * appears atomically (written to a temporary file, then renamed).
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .addFloats("w", DType.BF16, new long[] {4096, 4096}, (first, values, count) -> ...)
 *     .write(path);
 * }</pre>
 */
public final class SafetensorsWriter {

    /** Fills the next chunk of a tensor's little-endian bytes. */
    @FunctionalInterface
    public interface TensorSource {
        /**
         * Put exactly {@code chunk.remaining()} bytes into {@code chunk} (a little-endian buffer)
         * with relative puts: the tensor's bytes starting at {@code byteOffset}.
         */
        void fill(long byteOffset, ByteBuffer chunk) throws IOException;
    }

    /** Produces a tensor's values as floats, chunk by chunk; the writer converts them to the dtype. */
    @FunctionalInterface
    public interface FloatSource {
        /** Set {@code values[0..count)} to the tensor's elements {@code firstElement ..} (flat, row-major). */
        void fill(long firstElement, float[] values, int count);
    }

    static final int DEFAULT_CHUNK_BYTES = 1 << 20;

    private record Pending(String name, DType dtype, long[] shape, long byteSize, TensorSource source) {}

    private final int chunkBytes;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private float[] floatScratch = new float[0];

    public SafetensorsWriter() { this(DEFAULT_CHUNK_BYTES); }

    /** A writer with a given chunk size (tests use tiny chunks to exercise the boundaries). */
    SafetensorsWriter(int chunkBytes) {
        if (chunkBytes < 8) throw new IllegalArgumentException("chunk must hold at least 8 bytes: " + chunkBytes);
        this.chunkBytes = chunkBytes & ~7; // a whole number of elements of every dtype
    }

    /** Adds a {@code __metadata__} entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(requireNonNull(key, "metadata key"), requireNonNull(value, "metadata value"));
        return this;
    }

    /** A tensor whose little-endian bytes come from {@code source}. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, TensorSource source) {
        requireNonNull(source, "source");
        long byteSize = byteSize(name, dtype, shape);
        tensors.add(new Pending(name, dtype, shape.clone(), byteSize, source));
        names.add(name);
        return this;
    }

    /** A tensor holding {@code bytes}, which must be its little-endian data. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] bytes) {
        long expected = byteSize(name, dtype, shape);
        if (bytes.length != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + bytes.length + " bytes given, shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
        byte[] copy = bytes.clone();
        return add(name, dtype, shape, (offset, chunk) -> chunk.put(copy, (int) offset, chunk.remaining()));
    }

    /**
     * A copy of {@code tensor} (any dtype) under its own name. A block-format tensor (Q8_0, Q4_0) is stored
     * as U8 bytes with its format and logical shape in {@code __metadata__} ({@link QuantizedTensors}).
     */
    public SafetensorsWriter add(Tensor tensor) {
        MemorySegment data = tensor.data();
        long[] shape = tensor.shape();
        if (tensor.format().quantized()) {
            shape = QuantizedTensors.storedShape(tensor);
            for (String key : QuantizedTensors.metadata(tensor).keySet()) {
                if (metadata.containsKey(key)) throw new IllegalArgumentException("tensor '" + tensor.name() + "' added twice");
            }
        }
        add(tensor.name(), tensor.dtype(), shape, (offset, chunk) -> {
            int n = chunk.remaining();
            MemorySegment.ofBuffer(chunk).copyFrom(data.asSlice(offset, n));
            chunk.position(chunk.position() + n);
        });
        if (tensor.format().quantized()) metadata.putAll(QuantizedTensors.metadata(tensor));
        return this;
    }

    /** A tensor of {@code values} stored as {@code dtype} (F32, or BF16/F16 rounded to nearest even). */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, float[] values) {
        long count = elementCount(name, shape);
        if (values.length != count) {
            throw new IllegalArgumentException("tensor '" + name + "': " + values.length + " values given, shape "
                    + Arrays.toString(shape) + " has " + count);
        }
        float[] copy = values.clone();
        return addFloats(name, dtype, shape, (first, out, n) -> System.arraycopy(copy, (int) first, out, 0, n));
    }

    /** A tensor whose values come from {@code source} as floats, converted to {@code dtype} (F32, BF16, F16). */
    public SafetensorsWriter addFloats(String name, DType dtype, long[] shape, FloatSource source) {
        requireNonNull(source, "source");
        requireNonNull(dtype, "dtype");
        if (!dtype.readableAsFloat()) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot store floats as " + dtype
                    + " (only F32, BF16, F16)");
        }
        int elementBytes = dtype.byteSize();
        return add(name, dtype, shape, (offset, chunk) -> {
            int n = chunk.remaining() / elementBytes;
            float[] values = floatScratch(n);
            source.fill(offset / elementBytes, values, n);
            for (int i = 0; i < n; i++) {
                switch (dtype) {
                    case F32 -> chunk.putFloat(values[i]);
                    case BF16 -> chunk.putShort(Numbers.floatToBf16(values[i]));
                    case F16 -> chunk.putShort(Float.floatToFloat16(values[i]));
                    default -> throw new AssertionError(dtype);
                }
            }
        });
    }

    /** One chunk of floats, shared by all float sources (they run one after the other). */
    private float[] floatScratch(int n) {
        if (floatScratch.length < n) floatScratch = new float[n];
        return floatScratch;
    }

    /** Writes the file (replacing {@code file} only once it is complete). */
    public void write(Path file) throws IOException {
        List<Pending> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparingInt((Pending p) -> -p.dtype().byteSize()).thenComparing(Pending::name));
        byte[] header = header(ordered);
        AtomicFiles.write(file, channel -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(Math.max(chunkBytes, 8)).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length).flip();
            AtomicFiles.writeFully(channel, buffer);
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            for (Pending p : ordered) writeData(channel, buffer, p);
        });
    }

    private void writeData(FileChannel channel, ByteBuffer buffer, Pending p) throws IOException {
        for (long offset = 0; offset < p.byteSize(); ) {
            int n = (int) Math.min(chunkBytes, p.byteSize() - offset);
            buffer.clear().limit(n);
            p.source().fill(offset, buffer);
            if (buffer.hasRemaining()) {
                throw new IllegalStateException("tensor '" + p.name() + "': source left " + buffer.remaining()
                        + " of " + n + " bytes unfilled at byte offset " + offset);
            }
            buffer.flip();
            AtomicFiles.writeFully(channel, buffer);
            offset += n;
        }
    }

    private byte[] header(List<Pending> ordered) {
        ObjectNode root = StrictJson.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Pending p : ordered) {
            ObjectNode t = root.putObject(p.name());
            t.put("dtype", p.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : p.shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + p.byteSize());
            offset += p.byteSize();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private long byteSize(String name, DType dtype, long[] shape) {
        requireNonNull(dtype, "dtype");
        try {
            return Math.multiplyExact(elementCount(name, shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " is too large");
        }
    }

    private long elementCount(String name, long[] shape) {
        requireNonNull(name, "tensor name");
        requireNonNull(shape, "shape");
        if (name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved");
        if (names.contains(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
                    + Arrays.toString(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " is too large");
            }
        }
        return n;
    }

    private static <T> T requireNonNull(T value, String what) {
        if (value == null) throw new IllegalArgumentException(what + " is null");
        return value;
    }
}
