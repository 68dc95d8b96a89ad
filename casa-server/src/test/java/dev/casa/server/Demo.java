package dev.casa.server;

import dev.casa.CasaModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/** The bundled demo model (loaded once per test JVM) and its example image. */
final class Demo {
    /** What the demo model answers about example.png to "Describe the image." (models/demo/README.md, checked with PyTorch). */
    static final String EXPECTED = "a purple circle, an orange square and a green triangle on a grey background";
    static final String QUESTION = "Describe the image.";

    private static CasaModel model;

    private Demo() {}

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("models/demo");
            if (Files.isDirectory(d.resolve("model"))) return d;
        }
        throw new IllegalStateException("models/demo not found above " + Path.of("").toAbsolutePath());
    }

    static synchronized CasaModel model() {
        if (model == null) model = CasaModel.load(root().resolve("model"));
        return model;
    }

    static Path examplePath() { return root().resolve("example.png"); }

    static byte[] examplePng() {
        try {
            return Files.readAllBytes(examplePath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String exampleDataUri() {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(examplePng());
    }

    static CasaServer start(ServerConfig.Builder config) throws Exception {
        return CasaServer.start(model(), config.port(0).build());
    }
}
