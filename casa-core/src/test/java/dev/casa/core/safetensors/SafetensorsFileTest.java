package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir Path dir;

    static Path pythonFixture(Path dir) throws IOException {
        try (InputStream in = SafetensorsFileTest.class.getResourceAsStream("/safetensors/python_written.safetensors")) {
            return RawFiles.write(dir, "python_written.safetensors", in.readAllBytes());
        }
    }

    @Test
    void readsTheFileWrittenByPython() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(pythonFixture(dir))) {
            assertEquals(List.of("emb.weight", "empty", "ids", "ln.bias", "mask", "pixels", "proj.weight", "scalar"),
                    List.copyOf(f.names()));
            assertEquals(Map.of("format", "pt", "source", "make_core_io_fixtures.py"), f.metadata());

            Tensor emb = f.get("emb.weight");
            assertEquals(DType.F32, emb.dtype());
            assertArrayEquals(new long[] {2, 3}, emb.shape());
            assertArrayEquals(new float[] {1.5f, -2.25f, 0.125f, 1e-3f, 3.0e38f, -0.0f}, emb.toFloatArray());
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(emb.getFloat(5)));

            Tensor ln = f.get("ln.bias");
            assertEquals(DType.BF16, ln.dtype());
            // 1+2^-8 and 1+3*2^-8 are ties in bf16: rounded to even by the Python writer
            assertArrayEquals(new float[] {1.0f, -0.5f, 1.0f, 1.015625f}, ln.toFloatArray());

            Tensor proj = f.get("proj.weight");
            assertEquals(DType.F16, proj.dtype());
            assertArrayEquals(new float[] {0.5f, -1.0f, 65504.0f, 0.333251953125f}, proj.toFloatArray());

            Tensor ids = f.get("ids");
            assertEquals(DType.I64, ids.dtype());
            ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1L << 40, ids.data().get(i64, 16));
            assertEquals(-2L, ids.data().get(i64, 8));

            assertEquals(DType.BOOL, f.get("mask").dtype());
            assertArrayEquals(new byte[] {1, 0}, f.get("mask").data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(DType.U8, f.get("pixels").dtype());
            assertArrayEquals(new byte[] {0, (byte) 255, 7, (byte) 128}, f.get("pixels").data().toArray(ValueLayout.JAVA_BYTE));

            assertArrayEquals(new long[] {0, 4}, f.get("empty").shape());
            assertEquals(0, f.get("empty").size());
            assertArrayEquals(new long[] {}, f.get("scalar").shape());
            assertEquals(42.0f, f.get("scalar").getFloat(0));

            assertTrue(f.get("emb.weight").data().isMapped());
            assertTrue(f.get("emb.weight").data().isReadOnly());
        }
    }

    @Test
    void readingANonFloatTensorAsFloatIsAClearError() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(pythonFixture(dir))) {
            var e = assertThrows(UnsupportedOperationException.class, () -> f.get("ids").getFloat(0));
            assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("I64"), e.getMessage());
        }
    }

    @Test
    void missingTensorNamesTensorAndFile() throws IOException {
        Path p = pythonFixture(dir);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            var e = assertThrows(SafetensorsException.class, () -> f.get("nope"));
            assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void tensorsAreUnusableAfterClose() throws IOException {
        SafetensorsFile f = SafetensorsFile.open(pythonFixture(dir));
        Tensor t = f.get("emb.weight");
        f.close();
        f.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
    }

    @Test
    void missingFileIsASafetensorsException() {
        Path p = dir.resolve("absent.safetensors");
        var e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    /** A sparse 3 GiB file: the mapping has no 2 GB limit and needs no heap. */
    @Test
    void mapsFilesBeyondTwoGigabytes() throws IOException {
        long count = (3L << 30) / 2; // BF16 elements
        byte[] header = ("{\"big\":{\"dtype\":\"BF16\",\"shape\":[" + (count / 1024) + ",1024],\"data_offsets\":[0,"
                + 2 * count + "]}}").getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            ch.write(ByteBuffer.wrap(header));
            // the last element, 2.0 in bf16 (0x4000), makes the file sparse up to it
            ch.write(ByteBuffer.wrap(new byte[] {0x00, 0x40}), 8 + header.length + 2 * count - 2);
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Tensor t = f.get("big");
            assertEquals(2 * count, t.data().byteSize());
            assertEquals(0.0f, t.getFloat(0));
            assertEquals(2.0f, t.getFloat(count - 1));
        } finally {
            Files.delete(p);
        }
    }
}
