package dev.casa.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 4, through real processes: {@code java -jar casa.jar} relaunches itself in a child JVM with
 * {@code --add-modules jdk.incubator.vector}; signalling the launcher alone used to leave the child running (5.7 GB
 * in the report). Runs on the shaded jar of the {@code package} phase (maven-failsafe, {@code verify}). Also, through
 * the same jar, a real {@code OutOfMemoryError} (finding 3).
 */
class LauncherSignalIT {
    /** Generous bounds for a shared machine; the child normally ends within a second. */
    private static final long START_SECONDS = 180, EXIT_SECONDS = 30;

    @TempDir
    Path tmp;

    private Process launcher;
    private List<String> jvmOptions = List.of();
    private ProcessHandle child;

    private static Path jar() {
        Path jar = Path.of(System.getProperty("casa.jar", "target/casa.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " not built (the package phase makes it)");
        return jar;
    }

    /** The write end of the launcher's stdin, held open by this test (not by the launcher's Process object). */
    private RandomAccessFile input;

    /**
     * {@code java -jar casa.jar ARGS} without the module flag. Its stdin is a FIFO this test keeps open: with a
     * pipe of {@link ProcessBuilder}, the JDK closes the pipe as soon as the launcher ends, and the chat in the child
     * would end on end of input instead of showing whether the signal reached it.
     */
    private Process start(Path stderr, String... args) throws IOException, InterruptedException {
        Path fifo = tmp.resolve("stdin-" + System.nanoTime());
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        if (input != null) input.close();
        input = new RandomAccessFile(fifo.toFile(), "rw"); // O_RDWR: opening a FIFO so does not wait for a reader
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(fifo.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile());
        // Options from the environment could add the module and skip the relaunch this test is about.
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        return pb.start();
    }

    /** Starts {@code casa chat} and returns once the relaunched child has loaded the model and waits for input. */
    private void startChat() throws Exception {
        Path stderr = tmp.resolve("stderr.txt");
        Path model = FixturePaths.root().getParent().resolve("demo/model");
        launcher = start(stderr, "chat", "--model", model.toString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (!Files.readString(stderr, StandardCharsets.UTF_8).contains("casa chat: /image PATH adds an image")) {
            assertTrue(launcher.isAlive(), "launcher ended early: " + Files.readString(stderr));
            assertTrue(System.nanoTime() < deadline, "chat not ready after " + START_SECONDS + " s: " + Files.readString(stderr));
            Thread.sleep(100);
        }
        List<ProcessHandle> children = launcher.toHandle().children().toList();
        assertEquals(1, children.size(), "the launcher relaunched itself in one child JVM");
        child = children.get(0);
        assertTrue(child.info().arguments().map(a -> String.join(" ", a).contains("jdk.incubator.vector")).orElse(true),
                "the child has the module flag");
        assertTrue(child.isAlive());
    }

    /** Waits for {@code p} to end (polling: it is not this JVM's child); false after {@code seconds}. */
    private static boolean ends(ProcessHandle p, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (p.isAlive()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (input != null) input.close();
        // Only the processes this test started.
        if (child != null && child.isAlive()) child.destroyForcibly();
        if (launcher != null && launcher.isAlive()) launcher.destroyForcibly();
    }

    @Test
    void sigtermToTheLauncherEndsTheChild() throws Exception {
        startChat();
        assertTrue(launcher.toHandle().destroy()); // SIGTERM, to the launcher alone
        assertTrue(ends(child, EXIT_SECONDS), "the child JVM still runs " + EXIT_SECONDS + " s after SIGTERM to the launcher");
        assertTrue(launcher.waitFor(EXIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(143, launcher.exitValue(), "128 + SIGTERM");
    }

    @Test
    void sigkillToTheLauncherEndsTheChild() throws Exception {
        // No shutdown hook runs in a SIGKILLed JVM: the child notices that its parent is gone.
        startChat();
        assertTrue(launcher.toHandle().destroyForcibly()); // SIGKILL
        assertTrue(launcher.waitFor(EXIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(ends(child, EXIT_SECONDS), "the child JVM still runs " + EXIT_SECONDS + " s after SIGKILL to the launcher");
    }

    @Test
    void sigtermToTheChildEndsTheLauncherWithItsStatus() throws Exception {
        startChat();
        assertTrue(child.destroy());
        assertTrue(launcher.waitFor(EXIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(143, launcher.exitValue());
    }

    @Test
    void theLauncherPassesInputAndExitStatusThrough() throws Exception {
        startChat();
        input.write("/quit\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(launcher.waitFor(EXIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, launcher.exitValue());
        assertTrue(ends(child, EXIT_SECONDS));

        Path stderr = tmp.resolve("bad.txt");
        Process bad = start(stderr, "describe", "--image", tmp.resolve("missing.png").toString());
        assertTrue(bad.waitFor(START_SECONDS, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue());
        String err = Files.readString(stderr).replace("WARNING: Using incubator modules: jdk.incubator.vector", "").strip();
        assertTrue(err.startsWith("casa describe: error: ") && err.contains("missing.png") && err.lines().count() == 1, err);
    }

    @Test
    void aRealOutOfMemoryErrorIsOneLineAndExitStatusTwo() throws Exception {
        // Finding 3: an OutOfMemoryError printed its stack trace and exited with 1. A 5 MB heap (passed on to the
        // relaunched JVM) cannot run the demo model.
        jvmOptions = List.of("-Xmx5m");
        Path stderr = tmp.resolve("oom.txt");
        Path demo = FixturePaths.root().getParent().resolve("demo");
        Process p = start(stderr, "describe", "--model", demo.resolve("model").toString(), "--image", demo.resolve("example.png").toString());
        assertTrue(p.waitFor(START_SECONDS, TimeUnit.SECONDS));
        String err = Files.readString(stderr).replace("WARNING: Using incubator modules: jdk.incubator.vector", "").strip();
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("casa") && err.contains(": error: out of memory (raise -Xmx)"), err);
    }
}
