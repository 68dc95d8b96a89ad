package dev.casa.reliability;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, finding 8: without {@code --add-modules jdk.incubator.vector} the library failed with a bare
 * {@code NoClassDefFoundError} from the first kernel. {@code CasaModel.load} now says which flag is missing. Checked
 * in a child JVM (this test's own JVM has the flag), with the flag as the control.
 */
class MissingVectorModuleTest {
    private static Path demoModel() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) return p.resolve("models/demo/model");
        }
        throw new IllegalStateException("models/demo/model not found");
    }

    private static List<String> run(boolean withFlag) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (withFlag) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), LoadWithoutVectorModule.class.getName(),
                demoModel().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
            assertEquals(0, p.exitValue(), out);
            return out.lines().filter(l -> l.startsWith("kernel: ") || l.startsWith("load: ")).toList();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void loadNamesTheMissingJvmFlag() throws Exception {
        List<String> lines = run(false);
        // What users got before: a bare NoClassDefFoundError from the first kernel.
        assertEquals("kernel: java.lang.NoClassDefFoundError", lines.get(0));
        assertEquals("load: java.lang.IllegalStateException: the JVM was started without --add-modules jdk.incubator.vector:"
                + " casa-java's kernels need the Vector API; start java with --add-modules jdk.incubator.vector"
                + " (Maven Surefire: <argLine>--add-modules jdk.incubator.vector</argLine>)", lines.get(1));
        assertEquals(2, lines.size(), lines.toString());
    }

    @Test
    void withTheFlagTheSameProgramLoads() throws Exception {
        assertEquals(List.of("kernel: ran", "load: casa"), run(true));
    }
}
