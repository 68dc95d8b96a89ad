package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir Path dir;

    private static byte[] pythonBytes() throws IOException {
        try (InputStream in = SafetensorsWriterTest.class.getResourceAsStream("/safetensors/python_written.safetensors")) {
            return in.readAllBytes();
        }
    }

    /** The same tensors given in another order, as floats where possible: must equal Python's bytes. */
    @Test
    void reproducesThePythonWrittenFileByteForByte() throws IOException {
        Path out = dir.resolve("java.safetensors");
        new SafetensorsWriter(16) // tiny chunks: every tensor crosses chunk boundaries
                .metadata("format", "pt")
                .metadata("source", "make_core_io_fixtures.py")
                .add("pixels", DType.U8, new long[] {2, 2}, new byte[] {0, (byte) 255, 7, (byte) 128})
                .addFloats("proj.weight", DType.F16, new long[] {2, 2}, new float[] {0.5f, -1f, 65504f, 1f / 3f})
                .addFloats("ln.bias", DType.BF16, new long[] {4}, new float[] {1f, -0.5f, 1.00390625f, 1.01171875f})
                .addFloats("emb.weight", DType.F32, new long[] {2, 3}, new float[] {1.5f, -2.25f, 0.125f, 1e-3f, 3.0e38f, -0.0f})
                .add("ids", DType.I64, new long[] {3}, RawFiles.littleEndianLongs(1, -2, 1L << 40))
                .add("mask", DType.BOOL, new long[] {2}, new byte[] {1, 0})
                .addFloats("empty", DType.F32, new long[] {0, 4}, new float[0])
                .addFloats("scalar", DType.F32, new long[] {}, new float[] {42f})
                .write(out);
        assertArrayEquals(pythonBytes(), Files.readAllBytes(out));
    }

    @Test
    void copiesTensorsOfAnyDtype() throws IOException {
        Path in = SafetensorsFileTest.pythonFixture(dir);
        Path out = dir.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            SafetensorsWriter w = new SafetensorsWriter(8).metadata("format", "pt").metadata("source", "make_core_io_fixtures.py");
            for (String name : f.names()) w.add(f.get(name));
            w.write(out);
        }
        assertArrayEquals(pythonBytes(), Files.readAllBytes(out));
    }

    /** Streams values over many chunks; small integers are exact in every float dtype. */
    @Test
    void streamsFloatSourcesChunkByChunk() throws IOException {
        Path out = dir.resolve("streamed.safetensors");
        int rows = 37, cols = 29; // odd sizes: chunks end mid-row
        SafetensorsWriter.FloatSource ramp = (first, values, count) -> {
            for (int i = 0; i < count; i++) values[i] = (first + i) % 200 - 100;
        };
        new SafetensorsWriter(24)
                .addFloats("bf16", DType.BF16, new long[] {rows, cols}, ramp)
                .addFloats("f16", DType.F16, new long[] {rows, cols}, ramp)
                .addFloats("f32", DType.F32, new long[] {rows, cols}, ramp)
                .write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            for (String name : List.of("bf16", "f16", "f32")) {
                Tensor t = f.get(name);
                assertArrayEquals(new long[] {rows, cols}, t.shape());
                for (int i = 0; i < rows * cols; i++) {
                    assertEquals(i % 200 - 100, t.getFloat(i), name + "[" + i + "]");
                }
            }
            // largest element size first, so each tensor is aligned to its element size within the data area
            assertTrue(f.get("f32").data().address() % 4 == 0);
        }
    }

    @Test
    void aFailingSourceLeavesNoFileBehind() throws IOException {
        Path out = dir.resolve("model.safetensors");
        Files.writeString(out, "previous content");
        SafetensorsWriter w = new SafetensorsWriter(8).add("a", DType.F32, new long[] {100}, (offset, chunk) -> {
            if (offset >= 200) throw new IOException("disk on fire");
            while (chunk.hasRemaining()) chunk.put((byte) 0);
        });
        assertThrows(IOException.class, () -> w.write(out));
        assertEquals("previous content", Files.readString(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary file left");
        }
    }

    @Test
    void aSourceThatDoesNotFillItsChunkIsAnError() {
        Path out = dir.resolve("short.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().add("a", DType.F32, new long[] {4}, (offset, chunk) -> chunk.putInt(1));
        var e = assertThrows(IllegalStateException.class, () -> w.write(out));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
        assertTrue(Files.notExists(out));
    }

    @Test
    void rejectsInconsistentTensors() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", DType.F32, new long[] {1}, new byte[4]);
        assertThrows(IllegalArgumentException.class, () -> w.add("a", DType.F32, new long[] {1}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", DType.F32, new long[] {2}, new byte[4]));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", DType.F32, new long[] {-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("d", DType.I32, new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.addFloats("e", DType.F32, new long[] {2}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", DType.U8, new long[] {1}, new byte[1]));
    }
}
