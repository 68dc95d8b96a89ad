package dev.casa.reliability;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.core.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CasaModel.load} throws one exception type, {@link ModelFormatException}, whatever part of the directory is
 * broken (before, a broken tokenizer, weight file, chat template or processor config each escaped with its own
 * type); the message names the file.
 */
class LoadErrorsTest {
    @TempDir
    Path tmp;

    private Path demoCopy(String name) throws IOException {
        Path demo = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && demo == null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) demo = p.resolve("models/demo/model");
        }
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(demo)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    private static ModelFormatException loadFails(Path dir) {
        return assertThrows(ModelFormatException.class, () -> CasaModel.load(dir));
    }

    @Test
    void everyBrokenPartIsAModelFormatExceptionNamingTheFile() throws IOException {
        Path weights = demoCopy("weights");
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(weights.resolve("model.safetensors")), 1000);
        Files.write(weights.resolve("model.safetensors"), head);
        ModelFormatException e = loadFails(weights);
        assertEquals(weights.resolve("model.safetensors") + ": header length 10448 runs past the end of the file (1000 bytes)",
                e.getMessage());
        assertInstanceOf(dev.casa.core.safetensors.SafetensorsException.class, e.getCause());

        Path tokenizer = demoCopy("tokenizer");
        Files.writeString(tokenizer.resolve("tokenizer.json"), "{\"model\": {");
        e = loadFails(tokenizer);
        assertTrue(e.getMessage().startsWith(tokenizer.resolve("tokenizer.json") + ": tokenizer.json is not valid JSON"), e.getMessage());
        assertInstanceOf(dev.casa.text.tokenizer.TokenizerException.class, e.getCause());

        Path template = demoCopy("template");
        Path config = template.resolve("tokenizer_config.json");
        String json = Files.readString(config);
        Files.writeString(config, json.replaceFirst("\"chat_template\": \"[^\"]*\"", "\"chat_template\": \"{% for x in %}\""));
        e = loadFails(template);
        assertEquals(template + ": chat template: template line 1: unexpected end of expression", e.getMessage());

        Path processor = demoCopy("processor");
        Path pre = processor.resolve("preprocessor_config.json");
        Files.writeString(pre, Files.readString(pre).replaceFirst("\"image_mean\": \\[[^\\]]*\\]", "\"image_mean\": \"x\""));
        e = loadFails(processor);
        assertEquals(pre + ": key 'image_mean' must be 3 numbers, got \"x\"", e.getMessage());

        e = loadFails(tmp.resolve("missing"));
        assertEquals(tmp.resolve("missing") + ": not a model directory", e.getMessage());
    }
}
