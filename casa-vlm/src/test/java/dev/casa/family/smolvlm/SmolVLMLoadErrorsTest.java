package dev.casa.family.smolvlm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.CasaModel;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.SafetensorsWriter;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A SmolVLM directory with a bad file fails at load with a message naming the file and key or tensor. */
class SmolVLMLoadErrorsTest {
    static final Path MODEL = SmolVLMFixtureTest.caseDir("smolvlm_split").resolve("model");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A copy of the fixture model; {@code weights} edits its tensors (null: linked as is). */
    private Path copy(Consumer<SafetensorsWriter> extra, String skip) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("m" + System.nanoTime()));
        try (var files = Files.list(MODEL)) {
            for (Path f : files.toList()) if (!f.getFileName().toString().equals("model.safetensors")) Files.copy(f, dir.resolve(f.getFileName()));
        }
        SafetensorsWriter w = new SafetensorsWriter();
        try (TensorStore src = ModelWeights.open(MODEL)) {
            for (String name : src.names()) {
                if (name.equals(skip)) continue;
                Tensor t = src.get(name);
                w.addFloats(name, t.dtype(), t.shape(), t.toFloatArray());
            }
            if (extra != null) extra.accept(w);
            w.write(dir.resolve("model.safetensors"));
        }
        return dir;
    }

    private static String fails(Path dir) {
        return assertThrows(ModelFormatException.class, () -> CasaModel.load(dir)).getMessage();
    }

    private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(n);
        Files.writeString(file, n.toString());
    }

    @Test
    void missingAndUnexpectedTensors() throws IOException {
        String msg = fails(copy(null, "model.connector.modality_projection.proj.weight"));
        assertTrue(msg.contains("model.connector.modality_projection.proj.weight") && msg.contains("[64, 128]"), msg);
        msg = fails(copy(w -> w.addFloats("model.vision_model.encoder.layers.2.mlp.fc1.weight", DType.F32, new long[] {64, 32},
                new float[64 * 32]), null));
        assertTrue(msg.contains("unexpected tensor 'model.vision_model.encoder.layers.2.mlp.fc1.weight'"), msg);
        msg = fails(copy(null, "lm_head.weight"));
        assertTrue(msg.contains("lm_head.weight"), msg);
    }

    @Test
    void imageSeqLenThatTheTowerDoesNotProduce() throws IOException {
        Path dir = copy(null, null);
        Files.writeString(dir.resolve("processor_config.json"), "{\"image_seq_len\": 64, \"processor_class\": \"SmolVLMProcessor\"}");
        String msg = fails(dir);
        assertTrue(msg.contains("processor_config.json") && msg.contains("image_seq_len") && msg.contains("expected 16"), msg);
    }

    @Test
    void badConfigValues() throws IOException {
        Path dir = copy(null, null);
        editJson(dir.resolve("config.json"), n -> n.put("scale_factor", 3));
        String msg = fails(dir);
        assertTrue(msg.contains("max_image_size") && msg.contains("scale_factor 3"), msg);
        editJson(dir.resolve("config.json"), n -> n.put("scale_factor", 2).put("image_token_id", 320));
        msg = fails(dir);
        assertTrue(msg.contains("config.json") && msg.contains("image_token_id") && msg.contains("320"), msg);
        editJson(dir.resolve("config.json"), n -> n.put("image_token_id", 258).remove("text_config"));
        msg = fails(dir);
        assertTrue(msg.contains("text_config") && msg.contains("missing"), msg);
    }

    @Test
    void wrongImageProcessor() throws IOException {
        Path dir = copy(null, null);
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"image_processor_type\": \"Qwen2VLImageProcessor\"}");
        String msg = fails(dir);
        assertTrue(msg.contains("preprocessor_config.json") && msg.contains("Idefics3ImageProcessor"), msg);
    }
}
