package dev.casa.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code casa serve}'s options: loopback by default, every option reaches the server's settings. */
class ServeCommandTest {
    private static ServerConfig parse(String... args) {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void bindsToLoopbackByDefault() {
        ServerConfig c = parse();
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(1, c.parallel());
        assertNull(c.apiKey());
        assertTrue(c.allowDirs().isEmpty(), "no local files unless asked");
    }

    @Test
    void optionsReachTheServer() {
        ServerConfig c = parse("--host", "0.0.0.0", "--port", "0", "--parallel", "3", "--queue", "7", "--api-key", "k",
                "--allow-dir", "/tmp/a", "--allow-dir", "/tmp/b", "--context", "512", "--stream-context", "256",
                "--stream-idle", "60", "--max-streams", "4", "--max-body", "2048", "--max-images", "2", "--max-image-pixels", "1000",
                "--model-id", "demo");
        assertEquals("0.0.0.0", c.host());
        assertEquals(0, c.port());
        assertEquals(3, c.parallel());
        assertEquals(7, c.queue());
        assertEquals("k", c.apiKey());
        assertEquals(List.of(Path.of("/tmp/a"), Path.of("/tmp/b")), c.allowDirs());
        assertEquals(512, c.contextTokens());
        assertEquals(256, c.streamContextTokens());
        assertEquals(60, c.streamIdle().toSeconds());
        assertEquals(4, c.maxStreams());
        assertEquals(2048, c.maxBodyBytes());
        assertEquals(2, c.maxImages());
        assertEquals(1000, c.maxImagePixels());
        assertEquals("demo", c.modelId());
    }

    @Test
    void badValuesAreOneLineErrors() {
        assertThrows(IllegalArgumentException.class, () -> parse("--parallel", "0"));
        assertThrows(IllegalArgumentException.class, () -> parse("--port", "70000"));
        assertThrows(IllegalArgumentException.class, () -> parse("--api-key", " "));
    }

    @Test
    void isACommandOfTheCli() {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new CasaCli());
        cli.setOut(new PrintWriter(out));
        assertEquals(0, cli.execute("serve", "--help"));
        assertTrue(out.toString().contains("--allow-dir"), out.toString());
        assertTrue(out.toString().contains("127.0.0.1"), out.toString());
    }
}
