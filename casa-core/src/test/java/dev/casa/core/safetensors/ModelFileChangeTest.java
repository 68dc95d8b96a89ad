package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, finding 1: model.safetensors truncated while a loaded model is in use killed the JVM (SIGBUS)
 * on the next read. checkIntact() sees every change to the file without reading the mapping.
 */
class ModelFileChangeTest {

    @TempDir Path dir;

    private static final float[] VALUES = new float[4096];

    static {
        for (int i = 0; i < VALUES.length; i++) VALUES[i] = i * 0.5f;
    }

    private Path model(String name) throws IOException {
        Path file = dir.resolve(name);
        new SafetensorsWriter().addFloats("w", DType.F32, new long[] {VALUES.length}, VALUES).write(file);
        return file;
    }

    @Test
    void anUnchangedFileIsIntact() throws IOException {
        try (TensorStore store = ModelWeights.open(model("model.safetensors"))) {
            store.checkIntact();
            store.checkIntact();
            assertEquals(VALUES[7], store.get("w").getFloat(7));
        }
    }

    @Test
    void truncationInPlaceIsDetectedWithoutTouchingTheMapping() throws IOException {
        Path file = model("model.safetensors");
        long size = Files.size(file);
        try (TensorStore store = ModelWeights.open(file)) {
            try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
                w.truncate(0); // as cp or a re-download opening the file with O_TRUNC
            }
            // Any read of the mapping now faults (SIGBUS): had checkIntact read it, this would be an
            // InternalError ("a fault occurred in an unsafe memory access operation") or a JVM crash.
            ModelFileChangedException e = assertThrows(ModelFileChangedException.class, store::checkIntact);
            assertEquals(file + " changed on disk since it was loaded (size " + size + " → 0 bytes): reload the model",
                    e.getMessage());
            assertEquals(ModelFileChangedException.Change.RESIZED, e.change());
            assertFalse(e.loadedWeightsIntact());
            assertEquals(file, e.path());
        }
    }

    @Test
    void growingInPlaceIsDetected() throws IOException {
        Path file = model("model.safetensors");
        try (TensorStore store = ModelWeights.open(file)) {
            Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
            assertEquals(ModelFileChangedException.Change.RESIZED,
                    assertThrows(ModelFileChangedException.class, store::checkIntact).change());
        }
    }

    @Test
    void replacementByRenameIsDetectedAndTheLoadedWeightsStayReadable() throws IOException {
        Path file = model("model.safetensors");
        try (TensorStore store = ModelWeights.open(file)) {
            Path download = model("model.safetensors.part");
            Files.move(download, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            ModelFileChangedException e = assertThrows(ModelFileChangedException.class, store::checkIntact);
            assertEquals(ModelFileChangedException.Change.REPLACED, e.change());
            assertTrue(e.getMessage().startsWith(file + " changed on disk since it was loaded (replaced by another file: "), e.getMessage());
            // The mapped file is the old inode, still alive: its data is intact.
            assertTrue(e.loadedWeightsIntact());
            assertEquals(VALUES[4095], store.get("w").getFloat(4095));
        }
    }

    @Test
    void inPlaceWritesOfTheSameSizeAndRemovalAreDetected() throws IOException {
        Path file = model("model.safetensors");
        try (TensorStore store = ModelWeights.open(file)) {
            FileTime loaded = Files.getLastModifiedTime(file);
            try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
                w.write(java.nio.ByteBuffer.wrap(new byte[] {9, 9, 9, 9}), Files.size(file) - 4);
            }
            // File systems with coarse timestamps might not have ticked: make the write visible.
            Files.setLastModifiedTime(file, FileTime.fromMillis(loaded.toMillis() + 2000));
            assertEquals(ModelFileChangedException.Change.MODIFIED,
                    assertThrows(ModelFileChangedException.class, store::checkIntact).change());
            Files.delete(file);
            ModelFileChangedException removed = assertThrows(ModelFileChangedException.class, store::checkIntact);
            assertEquals(ModelFileChangedException.Change.REMOVED, removed.change());
            assertTrue(removed.loadedWeightsIntact());
        }
    }

    @Test
    void everyShardOfAShardedModelIsChecked() throws IOException {
        model("model-00001-of-00002.safetensors");
        Path second = dir.resolve("model-00002-of-00002.safetensors");
        new SafetensorsWriter().addFloats("v", DType.F32, new long[] {2}, new float[] {1, 2}).write(second);
        Files.writeString(dir.resolve(ModelWeights.INDEX_FILE),
                "{\"weight_map\":{\"w\":\"model-00001-of-00002.safetensors\",\"v\":\"model-00002-of-00002.safetensors\"}}");
        try (TensorStore store = ModelWeights.open(dir)) {
            store.checkIntact();
            try (FileChannel w = FileChannel.open(second, StandardOpenOption.WRITE)) {
                w.truncate(8);
            }
            ModelFileChangedException e = assertThrows(ModelFileChangedException.class, store::checkIntact);
            assertEquals(second, e.path());
        }
    }

    @Test
    void aClosedStoreSaysSo() throws IOException {
        TensorStore store = ModelWeights.open(model("model.safetensors"));
        store.close();
        assertThrows(IllegalStateException.class, store::checkIntact);
    }

    @Test
    void inMemoryStoresHaveNothingToCheck() {
        TensorStore memory = new TensorStore() {
            @Override public java.util.Set<String> names() { return java.util.Set.of(); }
            @Override public java.util.Optional<Tensor> find(String name) { return java.util.Optional.empty(); }
            @Override public String describe() { return "memory"; }
            @Override public void close() {}
        };
        memory.checkIntact();
    }

    /** A FIFO named model.safetensors hung the open; a link loop was reported as a missing file. */
    @Test
    void specialFilesAsWeightsAreNamed() throws Exception {
        Path fifo = dir.resolve(ModelWeights.SINGLE_FILE);
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        SafetensorsException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(SafetensorsException.class, () -> ModelWeights.open(dir)));
        assertEquals("safetensors file " + fifo + ": a named pipe (FIFO), not a regular file", e.getMessage());
        Files.delete(fifo);

        Path a = dir.resolve("a"), loop = dir.resolve(ModelWeights.SINGLE_FILE);
        Files.createSymbolicLink(a, loop.getFileName());
        Files.createSymbolicLink(loop, a.getFileName());
        assertEquals("safetensors file " + loop + ": symbolic link loop (too many levels of symbolic links)",
                assertThrows(SafetensorsException.class, () -> ModelWeights.open(dir)).getMessage());
        assertEquals("safetensors file " + loop + ": symbolic link loop (too many levels of symbolic links)",
                assertThrows(SafetensorsException.class, () -> ModelWeights.open(loop)).getMessage());

        Files.delete(loop);
        Files.createSymbolicLink(dir.resolve(ModelWeights.INDEX_FILE), Path.of("/dev/zero"));
        assertEquals("safetensors index " + dir.resolve(ModelWeights.INDEX_FILE) + ": a character device, not a regular file",
                assertThrows(SafetensorsException.class, () -> ModelWeights.open(dir)).getMessage());
    }
}
