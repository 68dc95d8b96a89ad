package dev.casa.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixtures under test resources npy/ were written by numpy 1.24's np.save (models/scripts/make_core_io_fixtures.py). */
class NpyTest {

    @TempDir Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = NpyTest.class.getResourceAsStream("/npy/" + name)) {
            return in.readAllBytes();
        }
    }

    private Path fixture(String name) throws IOException {
        return Files.write(dir.resolve(name), resource(name));
    }

    private static float[] rank3Values() {
        float[] v = new float[24];
        for (int i = 0; i < 24; i++) v[i] = i * 0.5f - 3.0f;
        return v;
    }

    @Test
    void readsNumpyFloat32OfAnyRank() throws IOException {
        NpyArray a = Npy.read(fixture("f4_rank3.npy"));
        assertEquals("<f4", a.descr());
        assertArrayEquals(new long[] {2, 3, 4}, a.shape());
        assertArrayEquals(rank3Values(), a.toFloats());

        NpyArray v = Npy.read(fixture("f4_vector.npy"));
        assertArrayEquals(new long[] {5}, v.shape());
        assertArrayEquals(new float[] {1e-3f, -7.25f, 3.0e38f, 0f, 6.5f}, v.toFloats());

        NpyArray s = Npy.read(fixture("f4_scalar.npy"));
        assertEquals(0, s.rank());
        assertArrayEquals(new float[] {2.5f}, s.toFloats());

        NpyArray e = Npy.read(fixture("f4_empty.npy"));
        assertArrayEquals(new long[] {0, 3}, e.shape());
        assertEquals(0, e.size());

        NpyArray v2 = Npy.read(fixture("f4_v2.npy"));
        assertArrayEquals(new long[] {1, 3}, v2.shape());
        assertArrayEquals(new float[] {1, 2, 3}, v2.toFloats());
    }

    @Test
    void readsOtherNumpyDtypes() throws IOException {
        NpyArray f8 = Npy.read(fixture("f8.npy"));
        assertEquals("<f8", f8.descr());
        assertArrayEquals(new double[] {0.1, -2.5, 3.0, 1e-300}, f8.toDoubles());
        assertArrayEquals(new float[] {0.1f, -2.5f, 3.0f, 0f}, f8.toFloats());
        assertThrows(IllegalStateException.class, f8::toLongs);

        assertArrayEquals(new long[] {-1, 2, 2147483647}, Npy.read(fixture("i4.npy")).toLongs());
        NpyArray i8 = Npy.read(fixture("i8.npy"));
        assertArrayEquals(new long[] {2, 2}, i8.shape());
        assertArrayEquals(new long[] {-5, 1L << 40, 7, 0}, i8.toLongs());
        assertArrayEquals(new long[] {0, 255, 7, 128}, Npy.read(fixture("u1.npy")).toLongs());
        NpyArray b1 = Npy.read(fixture("b1.npy"));
        assertEquals("|b1", b1.descr());
        assertArrayEquals(new long[] {1, 0, 1}, b1.toLongs());
    }

    @Test
    void writesExactlyWhatNumpyWrites() throws IOException {
        Path out = dir.resolve("out.npy");
        Npy.writeFloats(out, rank3Values(), 2, 3, 4);
        assertArrayEquals(resource("f4_rank3.npy"), Files.readAllBytes(out));
        Npy.writeFloats(out, new float[] {1e-3f, -7.25f, 3.0e38f, 0f, 6.5f}, 5);
        assertArrayEquals(resource("f4_vector.npy"), Files.readAllBytes(out));
        Npy.writeFloats(out, new float[] {2.5f});
        assertArrayEquals(resource("f4_scalar.npy"), Files.readAllBytes(out));
        Npy.writeFloats(out, new float[0], 0, 3);
        assertArrayEquals(resource("f4_empty.npy"), Files.readAllBytes(out));
        Npy.writeInts(out, new int[] {-1, 2, 2147483647}, 3);
        assertArrayEquals(resource("i4.npy"), Files.readAllBytes(out));
        Npy.writeLongs(out, new long[] {-5, 1L << 40, 7, 0}, 2, 2);
        assertArrayEquals(resource("i8.npy"), Files.readAllBytes(out));
    }

    @Test
    void writesAnyRankAlignedTo64Bytes() throws IOException {
        Path out = dir.resolve("rank6.npy");
        float[] values = new float[2 * 1 * 3 * 1 * 2 * 1000];
        for (int i = 0; i < values.length; i++) values[i] = i;
        long[] shape = {2, 1, 3, 1, 2, 1000};
        Npy.writeFloats(out, values, shape);
        NpyArray back = Npy.read(out);
        assertArrayEquals(shape, back.shape());
        assertArrayEquals(values, back.toFloats());
        assertEquals(0, (Files.size(out) - 4L * values.length) % 64, "data starts on a 64-byte boundary");
    }

    @Test
    void refusesWhatItCannotRead() throws IOException {
        assertRejected(fixture("fortran.npy"), "fortran_order");
        assertRejected(fixture("bigendian.npy"), "big-endian");
        assertRejected(fixture("structured.npy"), "structured");
        assertRejected(Files.write(dir.resolve("magic.npy"), "NUMPY\u0001\u0000".getBytes()), "bad magic");
        assertRejected(Files.write(dir.resolve("tiny.npy"), new byte[3]), "bad magic");
        byte[] good = resource("f4_rank3.npy");
        assertRejected(Files.write(dir.resolve("truncated.npy"), Arrays.copyOf(good, good.length - 1)), "needs 96 data bytes");
        assertRejected(Files.write(dir.resolve("header.npy"), Arrays.copyOf(good, 40)), "runs past the end");
        byte[] version = good.clone();
        version[6] = 9;
        assertRejected(Files.write(dir.resolve("version.npy"), version), "version 9");
        byte[] dtype = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1).replace("<f4", "<c8")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertRejected(Files.write(dir.resolve("complex.npy"), dtype), "unsupported dtype <c8");
        byte[] garbled = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1).replace("'shape': (", "'shape': [")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertRejected(Files.write(dir.resolve("garbled.npy"), garbled), "shape");
        assertRejected(dir.resolve("absent.npy"), "not found");
    }

    private static void assertRejected(Path file, String fragment) {
        var e = assertThrows(NpyException.class, () -> Npy.read(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesNoFile() throws IOException {
        Path out = dir.resolve("logits.npy");
        assertThrows(IllegalArgumentException.class, () -> Npy.writeFloats(out, new float[5], 2, 3));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList());
        }
        Path blocked = dir.resolve("missing-dir").resolve("x.npy");
        assertThrows(IOException.class, () -> Npy.writeFloats(blocked, new float[1], 1));
        assertTrue(Files.notExists(blocked));
    }
}
