package dev.casa.vision.qwen2vl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.core.io.NpyArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The HF v4.51.3 Qwen-VL fixture cases under models/fixtures/hf (see its README.md). */
final class QwenFixtures {
    private QwenFixtures() {}

    static final List<String> CASES = List.of("qwen25vl_one_image", "qwen25vl_two_images", "qwen25vl_bf16_weights",
            "qwen2vl_one_image");

    /** models/fixtures/hf, found by walking up from the working directory. */
    static Path hfRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models").resolve("fixtures"))) return d.resolve("models/fixtures/hf");
        }
        throw new IllegalStateException("no models/fixtures above " + dir);
    }

    static Path caseDir(String name) { return hfRoot().resolve(name); }

    /** One image of a case: its pixel_values rows and grid. */
    record Image(float[] pixels, GridThw grid) {}

    static List<Image> images(Path caseDir) {
        List<Image> images = new ArrayList<>();
        try {
            for (int i = 0; Files.exists(caseDir.resolve("pixel_values_" + i + ".npy")); i++) {
                NpyArray px = Npy.read(caseDir.resolve("pixel_values_" + i + ".npy"));
                JsonNode meta = new ObjectMapper().readTree(caseDir.resolve("meta_" + i + ".json").toFile());
                JsonNode thw = meta.get("image_grid_thw");
                GridThw g = new GridThw(thw.get(0).intValue(), thw.get(1).intValue(), thw.get(2).intValue());
                if (px.shape()[0] != g.patches()) throw new IllegalStateException(caseDir + ": image " + i + " rows " + px.shape()[0]);
                images.add(new Image(px.toFloats(), g));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return images;
    }

    /** image_embeds.npy: [rows, width]. */
    static NpyArray embeds(Path caseDir) {
        try {
            return Npy.read(caseDir.resolve("image_embeds.npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
