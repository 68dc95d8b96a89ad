package dev.casa.core.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of file that used to hang, exhaust the heap or get a misleading message, read through BoundedFiles. */
class BoundedFilesTest {

    private static String refusal(Path path, long max) {
        // A hang guard only: a FIFO read without the check blocks forever.
        return assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> BoundedFiles.readString(path, max, "config.json")).getMessage());
    }

    @Test
    void readsARegularFileWithinTheLimit(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("config.json"), "{\"a\": \"é😀\"}");
        int bytes = "{\"a\": \"é😀\"}".getBytes(StandardCharsets.UTF_8).length;
        assertEquals("{\"a\": \"é😀\"}", BoundedFiles.readString(f, bytes, "config.json"));
        assertArrayEquals(Files.readAllBytes(f), BoundedFiles.readAllBytes(f, bytes, "config.json"));
        assertEquals("", BoundedFiles.readString(Files.createFile(dir.resolve("empty")), 0, "config.json"));
    }

    @Test
    void aFileOverTheLimitIsRefusedNamingTheLimit(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("config.json"), new byte[1001]);
        assertEquals("config.json " + f + ": 1001 bytes, over the limit of 1000 bytes for config.json", refusal(f, 1000));
    }

    @Test
    void aFifoIsRefusedWithoutOpeningIt(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("model.safetensors");
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        assertEquals("config.json " + fifo + ": a named pipe (FIFO), not a regular file", refusal(fifo, 1 << 20));
    }

    @Test
    void devicesAndDirectoriesAreRefused(@TempDir Path dir) {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero));
        assertEquals("config.json /dev/zero: a character device, not a regular file", refusal(zero, 1 << 20));
        assertEquals("config.json " + dir + ": a directory, not a regular file", refusal(dir, 1 << 20));
    }

    @Test
    void aSymbolicLinkLoopIsCalledOne(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.json"), b = dir.resolve("b.json");
        Files.createSymbolicLink(a, b.getFileName());
        Files.createSymbolicLink(b, a.getFileName());
        assertEquals("config.json " + a + ": symbolic link loop (too many levels of symbolic links)", refusal(a, 1 << 20));
        // A link to a regular file is followed.
        Path target = Files.writeString(dir.resolve("real.json"), "{}");
        Path link = Files.createSymbolicLink(dir.resolve("link.json"), target.getFileName());
        assertEquals("{}", BoundedFiles.readString(link, 10, "config.json"));
    }

    @Test
    void missingAndMalformedFilesAreNamed(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.json");
        assertEquals("config.json " + missing + ": no such file", refusal(missing, 10));
        Path latin1 = Files.write(dir.resolve("latin1.json"), new byte[] {'"', (byte) 0xE9, '"'});
        assertEquals("config.json " + latin1 + ": not valid UTF-8 text", refusal(latin1, 10));
    }

    @Test
    void aFileLongerThanItsReportedSizeIsStillCut() throws IOException {
        // procfs reports size 0 for files that do have content.
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status) && Files.size(status) == 0);
        assertTrue(BoundedFiles.readString(status, 1 << 20, "status").contains("Name:"));
        assertEquals("config.json " + status + ": more than 10 bytes, over the limit of 10 bytes for config.json",
                refusal(status, 10));
    }
}
