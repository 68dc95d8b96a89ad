package dev.casa.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Minimal test-only readers for the reference fixtures: little-endian float32 C-order .npy and a
 * single small .safetensors file read onto the heap. (The library's own readers are tested elsewhere.)
 */
final class TestFiles {
    private TestFiles() {}

    record Npy(long[] shape, float[] data) {}

    static Npy readNpy(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) throw new IOException(path + ": not .npy");
        int major = b.get();
        b.get();
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort()) : b.getInt();
        byte[] hb = new byte[headerLen];
        b.get(hb);
        String header = new String(hb, StandardCharsets.US_ASCII);
        if (!header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False")) {
            throw new IOException(path + ": expected little-endian float32 C order, header " + header);
        }
        Matcher m = Pattern.compile("'shape': \\(([^)]*)\\)").matcher(header);
        if (!m.find()) throw new IOException(path + ": no shape in " + header);
        long[] shape = Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(Long::parseLong).toArray();
        float[] data = new float[Math.toIntExact(Tensor.elementCount(shape))];
        b.asFloatBuffer().get(data);
        return new Npy(shape, data);
    }

    static MapTensorStore readSafetensors(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = Math.toIntExact(b.getLong());
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, headerLen, StandardCharsets.UTF_8));
        MemorySegment all = MemorySegment.ofArray(bytes);
        MapTensorStore store = new MapTensorStore();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
            long begin = 8L + headerLen + t.get("data_offsets").get(0).asLong();
            long end = 8L + headerLen + t.get("data_offsets").get(1).asLong();
            store.put(new Tensor(e.getKey(), DType.valueOf(t.get("dtype").asText()), shape, all.asSlice(begin, end - begin)));
        }
        return store;
    }
}
