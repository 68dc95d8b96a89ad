package dev.casa.text.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import dev.casa.text.lm.ImageInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** M-RoPE positions against HF's {@code get_rope_index} output ({@code position_ids.npy} of the HF fixtures). */
class RopeIndexTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path hf() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/fixtures/hf"))) return p.resolve("models/fixtures/hf");
        }
        throw new IllegalStateException("models/fixtures/hf not found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen25vl_one_image", "qwen25vl_two_images", "qwen25vl_bf16_weights", "qwen2vl_one_image",
            "qwen25vl_text_only_tied"})
    void positionsAreHfs(String name) throws IOException {
        Path c = hf().resolve(name);
        JsonNode request = JSON.readTree(c.resolve("request.json").toFile());
        int[] ids = new int[request.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = request.get("input_ids").get(i).asInt();
        int imageToken = JSON.readTree(c.resolve("model/config.json").toFile()).get("image_token_id").asInt();
        List<ImageInput> images = new ArrayList<>();
        for (int i = 0; i < request.get("images").size(); i++) {
            JsonNode thw = JSON.readTree(c.resolve("meta_" + i + ".json").toFile()).get("image_grid_thw");
            int rows = thw.get(1).asInt() / 2, cols = thw.get(2).asInt() / 2;
            images.add(new ImageInput(new float[0], rows * cols, 0, rows, cols));
        }
        NpyArray expected = Npy.read(c.resolve("position_ids.npy"));
        assertArrayEquals(new long[] {3, ids.length}, expected.shape());
        long[] hf = expected.toLongs();
        int[] got = RopeIndex.positions(ids, imageToken, images, 0);
        for (int j = 0; j < ids.length; j++) {
            for (int a = 0; a < 3; a++) assertEquals(hf[a * ids.length + j], got[3 * j + a], name + " row " + j + " axis " + a);
        }
    }
}
