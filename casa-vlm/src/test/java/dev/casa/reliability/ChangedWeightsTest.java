package dev.casa.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.core.safetensors.ModelFileChangedException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 1: a weight file truncated under a loaded model used to crash the JVM (SIGBUS) on the next
 * request. Every request now checks the files first and fails with a clear error instead, before reading them.
 */
class ChangedWeightsTest {
    @TempDir
    Path tmp;

    private Path demoCopy() throws IOException {
        Path demo = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) demo = p.resolve("models/demo/model");
            if (demo != null) break;
        }
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        try (var files = Files.list(demo)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    @Test
    void aTruncatedWeightFileIsAClearErrorNotACrash() throws IOException {
        Path dir = demoCopy();
        try (CasaModel model = CasaModel.load(dir)) {
            Session session = model.newSession();
            session.ask("hello");
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "rw")) {
                f.setLength(f.length() / 2);
            }
            ModelFileChangedException e = assertThrows(ModelFileChangedException.class, () -> session.ask("again"));
            assertTrue(e.getMessage().contains("model.safetensors changed on disk since it was loaded"), e.getMessage());
            var pixel = dev.casa.vision.image.RgbImage.ofRgbBytes(1, 1, new byte[3]);
            assertThrows(ModelFileChangedException.class, () -> model.describe(pixel, "x"));
        }
    }

    @Test
    void aReplacedWeightFileIsReported() throws IOException {
        Path dir = demoCopy();
        try (CasaModel model = CasaModel.load(dir)) {
            Path other = tmp.resolve("other.safetensors");
            Files.copy(dir.resolve("model.safetensors"), other);
            Files.move(other, dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            ModelFileChangedException e = assertThrows(ModelFileChangedException.class, model::checkWeights);
            assertTrue(e.loadedWeightsIntact(), "a rename keeps the loaded file alive");
        }
    }
}
