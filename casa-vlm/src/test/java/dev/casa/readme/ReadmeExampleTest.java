package dev.casa.readme;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's Java example is this module's compiled ReadmeExample, and it runs. */
class ReadmeExampleTest {
    private static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.isDirectory(p.resolve("casa-vlm"))) return p;
        }
        throw new IllegalStateException("repository root not found");
    }

    private static String between(String text, String begin, String end) {
        int b = text.indexOf(begin), e = text.indexOf(end);
        assertTrue(b >= 0 && e > b, "markers " + begin + " / " + end);
        return text.substring(text.indexOf('\n', b) + 1, text.lastIndexOf('\n', e) + 1);
    }

    private static String dedent(String block) {
        int min = Integer.MAX_VALUE;
        for (String line : block.split("\n")) {
            if (line.isBlank()) continue;
            min = Math.min(min, line.length() - line.stripLeading().length());
        }
        StringBuilder sb = new StringBuilder();
        for (String line : block.split("\n")) sb.append(line.isBlank() ? "" : line.substring(min)).append('\n');
        return sb.toString();
    }

    @Test
    void readmeShowsTheCompiledExample() throws IOException {
        Path root = repoRoot();
        String source = Files.readString(root.resolve("casa-vlm/src/test/java/dev/casa/readme/ReadmeExample.java"));
        String readme = Files.readString(root.resolve("README.md"));
        String fromSource = dedent(between(source, "// README-BEGIN", "// README-END"));
        String fromReadme = dedent(between(readme, "<!-- README-EXAMPLE-BEGIN -->", "<!-- README-EXAMPLE-END -->")
                .replace("```java\n", "").replace("```\n", ""));
        assertEquals(fromSource, fromReadme);
    }

    @Test
    void theExampleRunsOnTheDemoModel() {
        Path root = repoRoot();
        Path model = root.resolve("models/demo/model");
        Path image = root.resolve("models/demo/example.png");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            ReadmeExample.main(new String[] {model.toString(), image.toString()});
        } finally {
            System.setOut(old);
        }
        // Ground truth from the shape generator, which the PyTorch reference also answers (models/demo/README.md).
        var lines = out.toString(StandardCharsets.UTF_8).lines().map(String::strip).toList();
        assertEquals("a purple circle, an orange square and a green triangle on a grey background", lines.get(0));
        assertEquals("purple", lines.get(1));
        assertEquals(3, lines.size());
    }
}
