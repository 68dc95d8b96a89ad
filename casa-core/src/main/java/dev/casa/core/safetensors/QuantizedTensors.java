package dev.casa.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;

/**
 * casa-java's convention for block-format tensors (Q8_0, Q4_0) in a safetensors file, which has no
 * such dtypes (docs/quantization.md, "Quantized model directories"):
 * <ul>
 *   <li>the bytes are stored as dtype {@code U8}, shape = the logical shape with the last dimension in
 *       bytes ({@code [rows, cols/32 × blockBytes]}), in GGML's block layout;</li>
 *   <li>{@code __metadata__} holds {@code "casa.format.<tensor>": "Q8_0"} (or {@code "Q4_0"}) and
 *       {@code "casa.shape.<tensor>": "[rows,cols]"}, the logical shape as a JSON array.</li>
 * </ul>
 * Other readers see plain U8 tensors; this reader maps them back to tensors of their format.
 */
public final class QuantizedTensors {
    /** Metadata key prefix naming a tensor's block format. */
    public static final String FORMAT_KEY = "casa.format.";
    /** Metadata key prefix holding a tensor's logical shape. */
    public static final String SHAPE_KEY = "casa.shape.";

    private QuantizedTensors() {}

    /** The metadata entries that describe {@code t} (a block-format tensor). */
    static Map<String, String> metadata(Tensor t) {
        StringJoiner shape = new StringJoiner(",", "[", "]");
        for (long d : t.shape()) shape.add(Long.toString(d));
        return Map.of(FORMAT_KEY + t.name(), t.format().name(), SHAPE_KEY + t.name(), shape.toString());
    }

    /** The U8 shape a block-format tensor is stored with: its logical shape, last dimension in bytes. */
    static long[] storedShape(Tensor t) {
        long[] s = t.shape();
        s[s.length - 1] = t.format().rowBytes(s[s.length - 1]);
        return s;
    }

    /**
     * The tensor of a header entry: as stored, or, when {@code metadata} gives it a block format, that
     * format over the same bytes with the logical shape. Errors name the file and the tensor.
     */
    static Tensor tensor(SafetensorsHeader.Entry e, MemorySegment data, Map<String, String> metadata, String source) {
        String formatName = metadata.get(FORMAT_KEY + e.name());
        String shapeText = metadata.get(SHAPE_KEY + e.name());
        if (formatName == null && shapeText == null) return new Tensor(e.name(), e.dtype(), e.shape(), data);
        String where = source + ": tensor '" + e.name() + "'";
        if (formatName == null) throw new SafetensorsException(where + ": __metadata__ has " + SHAPE_KEY + e.name() + " but no " + FORMAT_KEY + e.name());
        if (shapeText == null) throw new SafetensorsException(where + ": __metadata__ has " + FORMAT_KEY + e.name() + " but no " + SHAPE_KEY + e.name());
        WeightFormat format = quantizedFormat(formatName);
        if (format == null) {
            throw new SafetensorsException(where + ": unknown quantized format '" + abbreviate(formatName) + "' in __metadata__ "
                    + FORMAT_KEY + e.name() + " (known: " + knownFormats() + ")");
        }
        if (e.dtype() != DType.U8) {
            throw new SafetensorsException(where + ": a " + format + " tensor must be stored as U8, found " + e.dtype());
        }
        long[] shape = parseShape(shapeText, where);
        long expected;
        try {
            expected = format.byteSize(shape);
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new SafetensorsException(where + ": " + ex.getMessage());
        }
        if (expected != data.byteSize()) {
            throw new SafetensorsException(where + ": " + format + " " + Arrays.toString(shape) + " needs " + expected
                    + " bytes but " + data.byteSize() + " are stored (corrupt or truncated quantized tensor)");
        }
        return new Tensor(e.name(), format, shape, data);
    }

    /** Every {@code casa.format.} / {@code casa.shape.} key must describe a tensor of the file. */
    static void checkKeysNameTensors(Map<String, String> metadata, java.util.Collection<SafetensorsHeader.Entry> entries, String source) {
        java.util.Set<String> tensors = new java.util.HashSet<>();
        for (SafetensorsHeader.Entry e : entries) tensors.add(e.name());
        for (String key : metadata.keySet()) {
            for (String prefix : new String[] {FORMAT_KEY, SHAPE_KEY}) {
                if (key.startsWith(prefix) && !tensors.contains(key.substring(prefix.length()))) {
                    throw new SafetensorsException(source + ": __metadata__ key '" + abbreviate(key) + "' names tensor '"
                            + abbreviate(key.substring(prefix.length())) + "', which is not in the file");
                }
            }
        }
    }

    private static WeightFormat quantizedFormat(String name) {
        for (WeightFormat f : WeightFormat.quantizedFormats()) {
            if (f.name().equalsIgnoreCase(name.strip())) return f;
        }
        return null;
    }

    private static String knownFormats() {
        StringJoiner j = new StringJoiner(", ");
        for (WeightFormat f : WeightFormat.quantizedFormats()) j.add(f.name());
        return j.toString();
    }

    private static long[] parseShape(String text, String where) {
        JsonNode node;
        try {
            node = StrictJson.MAPPER.readTree(text);
        } catch (java.io.IOException | RuntimeException ex) {
            node = null;
        }
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new SafetensorsException(where + ": __metadata__ shape '" + abbreviate(text) + "' is not a JSON array of dimensions");
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsException(where + ": __metadata__ shape '" + abbreviate(text) + "' has a dimension that is not a non-negative integer");
            }
            shape[i] = v.longValue();
        }
        return shape;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
