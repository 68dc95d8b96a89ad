package dev.casa.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of a safetensors file: where the data area starts and, for every tensor,
 * its dtype, shape and byte range. Follows the checks of the HF reference implementation
 * ({@code safetensors::SafeTensors::read_metadata} and {@code Metadata::validate}): the tensors'
 * byte ranges must tile the data area exactly, without gaps or overlaps.
 */
record SafetensorsHeader(long dataStart, long dataSize, List<Entry> entries, Map<String, String> metadata) {

    /** Headers above this size are refused before reading them, as in the HF reference. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** One tensor's description; {@code begin}/{@code end} are relative to the data area. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads and validates the header of {@code file}; {@code source} names the file in errors. */
    static SafetensorsHeader read(MemorySegment file, String source) {
        long fileSize = file.byteSize();
        if (fileSize < 8) {
            throw new SafetensorsException(source + ": file is " + fileSize
                    + " bytes, too short for the 8-byte header length");
        }
        long headerLength = file.get(U64_LE, 0); // unsigned: a negative long means >= 2^63
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsException(source + ": header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsException(source + ": header length " + headerLength
                    + " runs past the end of the file (" + fileSize + " bytes)");
        }
        byte[] json = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        if (json.length == 0 || json[0] != '{') {
            throw new SafetensorsException(source + ": header does not start with '{'");
        }
        JsonNode root = StrictJson.parseObject(json, source + ": header");
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;

        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                metadata = readMetadata(field.getValue(), source);
            } else {
                entries.add(readEntry(field.getKey(), field.getValue(), dataSize, source));
            }
        }
        checkTiling(entries, dataSize, source);
        return new SafetensorsHeader(dataStart, dataSize, List.copyOf(entries), metadata);
    }

    private static Map<String, String> readMetadata(JsonNode node, String source) {
        if (node.isNull()) return Map.of();
        if (!node.isObject()) {
            throw new SafetensorsException(source + ": __metadata__ is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw new SafetensorsException(source + ": __metadata__ value for '" + field.getKey()
                        + "' is not a string");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry readEntry(String name, JsonNode node, long dataSize, String source) {
        String where = source + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsException(where + ": description is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(where + ": 'dtype' is missing or not a string");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.textValue());
        if (dtype == null) {
            throw new SafetensorsException(where + ": unknown or unsupported dtype '" + abbreviate(dtypeNode.textValue())
                    + "' (known: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = readNaturals(node.get("shape"), -1, where + ": 'shape'");
        long[] offsets = readNaturals(node.get("data_offsets"), 2, where + ": 'data_offsets'");
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end > dataSize) {
            throw new SafetensorsException(where + ": data_offsets [" + begin + ", " + end
                    + "] lie beyond the data area of " + dataSize + " bytes");
        }
        long byteSize;
        try {
            long count = 1;
            for (long d : shape) count = Math.multiplyExact(count, d);
            byteSize = Math.multiplyExact(count, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " overflows 64-bit byte counts");
        }
        if (byteSize != end - begin) {
            throw new SafetensorsException(where + ": shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + byteSize + " bytes but data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers that fit a long; {@code length} -1 means any length. */
    private static long[] readNaturals(JsonNode node, int length, String what) {
        if (node == null || !node.isArray()) {
            throw new SafetensorsException(what + " is missing or not an array");
        }
        if (length >= 0 && node.size() != length) {
            throw new SafetensorsException(what + " has " + node.size() + " elements, expected " + length);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new SafetensorsException(what + " element " + i + " is " + abbreviate(v.toString())
                        + ", expected a non-negative integer");
            }
            values[i] = v.longValue();
        }
        return values;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** Sorted by offsets, the byte ranges must follow each other exactly and end at the end of the file. */
    private static void checkTiling(List<Entry> entries, long dataSize, String source) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new SafetensorsException(source + ": tensor '" + e.name() + "': data_offsets ["
                        + e.begin() + ", " + e.end() + "] overlap tensor '" + previous + "' (which ends at "
                        + covered + ")");
            }
            if (e.begin() > covered) {
                throw new SafetensorsException(source + ": tensor '" + e.name() + "': data_offsets ["
                        + e.begin() + ", " + e.end() + "] leave bytes [" + covered + ", " + e.begin()
                        + ") of the data area unused");
            }
            covered = e.end();
            previous = e.name();
        }
        if (covered != dataSize) {
            throw new SafetensorsException(source + ": the tensors cover " + covered
                    + " bytes of the data area but it holds " + dataSize
                    + (previous == null ? "" : " (last tensor: '" + previous + "')"));
        }
    }
}
