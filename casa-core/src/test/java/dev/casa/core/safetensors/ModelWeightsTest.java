package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWeightsTest {

    @TempDir Path dir;

    /** A one-tensor-per-entry shard built by hand: tensor i holds the single float value i. */
    private Path shard(String file, String... tensors) {
        StringBuilder json = new StringBuilder("{");
        float[] values = new float[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            if (i > 0) json.append(',');
            json.append("\"").append(tensors[i]).append("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[")
                    .append(4 * i).append(',').append(4 * i + 4).append("]}");
            values[i] = Float.parseFloat(tensors[i].replaceAll("\\D", ""));
        }
        return RawFiles.write(dir, file, RawFiles.file(json.append('}').toString(), RawFiles.littleEndianFloats(values)));
    }

    private void index(String weightMapJson) throws IOException {
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE),
                "{\"metadata\":{\"total_size\":16},\"weight_map\":" + weightMapJson + "}");
    }

    private SafetensorsException openFails() {
        return assertThrows(SafetensorsException.class, () -> ModelWeights.open(dir).close());
    }

    @Test
    void opensShardsThroughTheIndex() throws IOException {
        shard("model-00001-of-00002.safetensors", "w1", "w2");
        shard("model-00002-of-00002.safetensors", "w3");
        index("{\"w1\":\"model-00001-of-00002.safetensors\",\"w3\":\"model-00002-of-00002.safetensors\","
                + "\"w2\":\"model-00001-of-00002.safetensors\"}");
        TensorStore store = ModelWeights.open(dir);
        assertEquals(List.of("w1", "w2", "w3"), List.copyOf(store.names()));
        assertEquals(1f, store.get("w1").getFloat(0));
        assertEquals(2f, store.get("w2").getFloat(0));
        assertEquals(3f, store.get("w3").getFloat(0));
        var e = assertThrows(SafetensorsException.class, () -> store.get("w4"));
        assertTrue(e.getMessage().contains("'w4'") && e.getMessage().contains(ModelWeights.INDEX_FILE), e.getMessage());
        Tensor first = store.get("w1");
        Tensor last = store.get("w3");
        store.close();
        assertThrows(IllegalStateException.class, () -> first.getFloat(0), "closing the store unmaps every shard");
        assertThrows(IllegalStateException.class, () -> last.getFloat(0), "closing the store unmaps every shard");
    }

    @Test
    void opensASingleFileDirectoryOrAFilePath() {
        Path file = shard(ModelWeights.SINGLE_FILE, "w7");
        try (TensorStore store = ModelWeights.open(dir)) {
            assertEquals(7f, store.get("w7").getFloat(0));
        }
        try (TensorStore store = ModelWeights.open(file)) {
            assertEquals(7f, store.get("w7").getFloat(0));
        }
    }

    @Test
    void theSingleFileWinsOverAnIndexAsInHf() throws IOException {
        shard(ModelWeights.SINGLE_FILE, "w7");
        index("{\"w1\":\"missing.safetensors\"}");
        try (TensorStore store = ModelWeights.open(dir)) {
            assertEquals(List.of("w7"), List.copyOf(store.names()));
        }
    }

    @Test
    void emptyDirectoryNamesTheExpectedFiles() {
        var e = openFails();
        assertTrue(e.getMessage().contains(ModelWeights.SINGLE_FILE) && e.getMessage().contains(ModelWeights.INDEX_FILE));
    }

    @Test
    void missingShardIsAnError() throws IOException {
        shard("a.safetensors", "w1");
        index("{\"w1\":\"a.safetensors\",\"w2\":\"b.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains("'w2'") && e.getMessage().contains("b.safetensors"), e.getMessage());
    }

    @Test
    void tensorMissingFromItsShardIsAnError() throws IOException {
        shard("a.safetensors", "w1");
        shard("b.safetensors", "w2");
        index("{\"w1\":\"a.safetensors\",\"w2\":\"a.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains("'w2'") && e.getMessage().contains("a.safetensors"), e.getMessage());
    }

    @Test
    void tensorNotInTheIndexIsAnError() throws IOException {
        shard("a.safetensors", "w1", "w2");
        index("{\"w1\":\"a.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains("'w2'") && e.getMessage().contains("not listed"), e.getMessage());
    }

    @Test
    void tensorInTwoShardsIsAnError() throws IOException {
        shard("a.safetensors", "w1", "w2");
        shard("b.safetensors", "w2");
        index("{\"w1\":\"a.safetensors\",\"w2\":\"b.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains("'w2'") && e.getMessage().contains("a.safetensors"), e.getMessage());
    }

    @Test
    void shardOutsideTheDirectoryIsRefused() throws IOException {
        index("{\"w1\":\"../a.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains("not a file name"), e.getMessage());
    }

    @Test
    void malformedIndexIsAnError() throws IOException {
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE), "{\"weight_map\":{\"w1\":\"a\",\"w1\":\"b\"}}");
        assertTrue(openFails().getMessage().contains("Duplicate"));
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE), "{\"weight_map\":[]}");
        assertTrue(openFails().getMessage().contains("weight_map"));
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE), "{\"weight_map\":{\"w1\":3}}");
        assertTrue(openFails().getMessage().contains("'w1'"));
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE), "{\"weight_map\":{}}");
        assertTrue(openFails().getMessage().contains("no tensors"));
    }

    @Test
    void aBadShardNamesTheShard() throws IOException {
        shard("a.safetensors", "w1");
        Path b = RawFiles.write(dir, "b.safetensors", new byte[3]);
        index("{\"w1\":\"a.safetensors\",\"w2\":\"b.safetensors\"}");
        var e = openFails();
        assertTrue(e.getMessage().contains(b.toString()), e.getMessage());
    }
}
