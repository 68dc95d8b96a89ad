package dev.casa.cli;

import static dev.casa.cli.CliRun.withStdin;
import static org.junit.jupiter.api.Assertions.*;

import dev.casa.cli.CliRun.Result;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 through the command line, on the bundled demo model: errors that bypassed the handlers (findings 3),
 * the @file expansion (5), a chat that goes on after a message too long for the context (6), input-driven sizes.
 * The signal forwarding of the jar's launcher (4) is tested through real processes by {@code LauncherSignalIT}.
 */
class CliReliabilityTest {
    @TempDir
    Path tmp;

    private static final Path DEMO = FixturePaths.root().getParent().resolve("demo");
    private static final String MODEL = DEMO.resolve("model").toString();
    private static final String IMAGE = DEMO.resolve("example.png").toString();
    /** Ground truth from the demo's shape generator (models/demo/README.md). */
    private static final String DESCRIPTION = "a purple circle, an orange square and a green triangle on a grey background";

    /** Standard input that fails with {@code error} when the command reads it. */
    private static InputStream failing(Error error) {
        return new InputStream() {
            @Override
            public int read() {
                throw error;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                throw error;
            }
        };
    }

    @Test
    void errorsThatBypassPicocliAreOneLineWithExitStatusTwo() {
        // picocli hands only Exceptions to the execution handler: an Error used to escape with its stack trace.
        Result r = withStdin(failing(new OutOfMemoryError("Java heap space")), "chat", "--model", MODEL);
        assertEquals(2, r.status());
        assertEquals("casa chat: error: out of memory (raise -Xmx): Java heap space", lastLine(r.err()));
        assertFalse(r.err().contains("\tat "), r.err());

        r = withStdin(failing(new StackOverflowError()), "chat", "--model", MODEL);
        assertEquals(2, r.status());
        assertEquals("casa chat: error: stack overflow (input nested too deeply; or raise -Xss): StackOverflowError", lastLine(r.err()));
        assertFalse(r.err().contains("\tat "), r.err());

        r = withStdin(failing(new StackOverflowError()), "chat", "--model", MODEL, "--debug");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("\tat "), "--debug adds the stack trace: " + r.err());
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void atFileArgumentsAreTakenLiterally() throws IOException {
        // The file's content must never be read: before, "--prompt @file" expanded it into arguments and the
        // error echoed them.
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "--bogus SECRET_LINE_42\n");
        Result r = withStdin("", "describe", "--model", MODEL, "--image", IMAGE, "--max-new-tokens", "3", "--prompt", "@" + secret);
        assertEquals(0, r.status(), r.err());
        assertFalse(r.out().contains("SECRET") || r.err().contains("SECRET"), r.out() + r.err());

        Path args = Files.writeString(tmp.resolve("args.txt"), "describe --image SECRET_LINE_42\n");
        r = withStdin("", "@" + args);
        assertEquals(2, r.status());
        assertTrue(r.err().contains("@" + args), r.err());
        assertFalse(r.err().contains("SECRET"), r.err());
    }

    @Test
    void aHugeTokenLimitIsBoundedByTheContext() {
        // Used to print "error: -2147483636" (history length + limit overflowed an array size).
        Result r = withStdin("", "describe", "--model", MODEL, "--image", IMAGE, "--max-new-tokens", "2147483647");
        assertEquals(0, r.status(), r.err());
        assertEquals(DESCRIPTION + "\n", r.out());

        r = withStdin("", "describe", "--model", MODEL, "--image", IMAGE, "--max-new-tokens", "-1");
        assertEquals(2, r.status());
        assertEquals("casa describe: error: --max-new-tokens must be >= 0, got -1", r.err().strip());
    }

    @Test
    void aChatGoesOnAfterAMessageTooLongForTheContext() {
        String tooLong = "where is the purple circle? ".repeat(200);
        Result interrupted = withStdin("/image " + IMAGE + "\nWhat colour is the circle?\n" + tooLong + "\nWhat colour is the square?\n/quit\n",
                "chat", "--model", MODEL);
        assertEquals(0, interrupted.status(), interrupted.err());
        List<String> errors = interrupted.err().lines().filter(l -> l.contains("error")).toList();
        assertEquals(1, errors.size(), interrupted.err());
        assertTrue(errors.get(0).startsWith("casa chat: error: KV cache full: "), errors.get(0));
        assertTrue(errors.get(0).endsWith(" > capacity 1024 (message not sent; the chat goes on)"), errors.get(0));

        // The oracle: the same chat without the long message.
        Result uninterrupted = withStdin("/image " + IMAGE + "\nWhat colour is the circle?\nWhat colour is the square?\n/quit\n",
                "chat", "--model", MODEL);
        assertEquals(0, uninterrupted.status(), uninterrupted.err());
        assertEquals(answers(uninterrupted.out()), answers(interrupted.out()));
        assertEquals("purple", answers(interrupted.out()).get(0));
        assertEquals(2, answers(interrupted.out()).size());
    }

    /** The answers a chat printed (one line after each prompt that got one). */
    private static List<String> answers(String out) {
        return Arrays.stream(out.split("> ")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void inputDrivenSizesAreCheckedBeforeAllocating() throws IOException {
        // 2e9 worker threads: an array of that size, then threads until the JVM gave up.
        Result r = withStdin("", "describe", "--model", MODEL, "--image", IMAGE, "--threads", "2000000000");
        assertEquals(2, r.status());
        assertEquals("casa describe: error: --threads must be in [1, 1024], got 2000000000", r.err().strip());

        // A chat message without end (an endless pipe): the heap used to fill before the message was sent.
        InputStream endless = new InputStream() {
            @Override
            public int read() { return 'a'; }

            @Override
            public int read(byte[] b, int off, int len) {
                Arrays.fill(b, off, off + len, (byte) 'a');
                return len;
            }
        };
        r = withStdin(endless, "chat", "--model", MODEL);
        assertEquals(2, r.status());
        assertEquals("casa chat: error: standard input: a line longer than 8388608 characters", lastLine(r.err()));

        // A "line" without end (/dev/zero) used to fill the heap before the first JSON parse.
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(zero), "/dev/zero");
        Path tokenizer = DEMO.resolve("model/tokenizer.json");
        r = withStdin("", "tokenize", "--tokenizer", tokenizer.toString(), "--in", zero.toString(), "--out", tmp.resolve("ids.jsonl").toString());
        assertEquals(2, r.status());
        assertEquals("casa tokenize: /dev/zero line 1: longer than 33554432 characters", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("ids.jsonl")));
    }
}
