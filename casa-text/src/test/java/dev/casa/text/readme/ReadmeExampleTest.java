package dev.casa.text.readme;

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
            if (Files.exists(p.resolve("README.md")) && Files.isDirectory(p.resolve("casa-text"))) return p;
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
        String source = Files.readString(root.resolve("casa-text/src/test/java/dev/casa/text/readme/ReadmeExample.java"));
        String readme = Files.readString(root.resolve("README.md"));
        String fromSource = dedent(between(source, "// README-BEGIN", "// README-END"));
        String fromReadme = dedent(between(readme, "<!-- README-EXAMPLE-BEGIN -->", "<!-- README-EXAMPLE-END -->")
                .replace("```java\n", "").replace("```\n", ""));
        assertEquals(fromSource, fromReadme);
    }

    @Test
    void theExampleRunsOnAModel() {
        Path root = repoRoot();
        Path model = root.resolve("models/fixtures/casa-f32-all");
        Path image = root.resolve("models/fixtures/images/shapes_p_33x33.png");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            ReadmeExample.main(new String[] {model.toString(), image.toString()});
        } finally {
            System.setOut(old);
        }
        assertTrue(out.toString(StandardCharsets.UTF_8).lines().count() >= 3, "three answers printed");
    }
}
