package dev.casa.text.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Minimal test-only safetensors reader (whole files on the heap, single file or sharded index),
 * so the decoder can be checked on the fixtures independently of the production reader.
 */
final class TestSafetensors implements TensorStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Tensor> tensors = new TreeMap<>();
    private final String source;

    private TestSafetensors(String source) { this.source = source; }

    static TestSafetensors open(Path dir) throws IOException {
        TestSafetensors store = new TestSafetensors(dir.toString());
        Path single = dir.resolve("model.safetensors");
        if (Files.exists(single)) {
            store.readFile(single);
        } else {
            JsonNode map = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile()).get("weight_map");
            Set<String> files = new java.util.TreeSet<>();
            map.forEach(f -> files.add(f.asText()));
            for (String f : files) store.readFile(dir.resolve(f));
        }
        return store;
    }

    private void readFile(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8));
        MemorySegment data = MemorySegment.ofArray(bytes).asSlice(8 + headerLen);
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
            long begin = t.get("data_offsets").get(0).asLong(), end = t.get("data_offsets").get(1).asLong();
            tensors.put(e.getKey(), new Tensor(e.getKey(), DType.valueOf(t.get("dtype").asText()), shape,
                    data.asSlice(begin, end - begin)));
        }
    }

    @Override public Set<String> names() { return tensors.keySet(); }
    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }
    @Override public String describe() { return source; }
    @Override public void close() { }
}
