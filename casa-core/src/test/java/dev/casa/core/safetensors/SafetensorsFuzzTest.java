package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutates valid files (byte flips, truncation, header length edits, JSON edits) and checks that
 * opening and reading them only ever succeeds with consistent tensors or fails with a
 * {@link SafetensorsException}: never an IndexOutOfBounds, NPE, OOM, IllegalArgument, ...
 */
class SafetensorsFuzzTest {

    private static final int CASES = 4000;
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\":\\[(\\d+),(\\d+)\\]");
    private static final Pattern FIELD = Pattern.compile("\"(dtype|shape|data_offsets)\":(\"[^\"]*\"|\\[[^\\]]*\\])");
    private static final String[] NUMBER_REPLACEMENTS = {"-1", "0", "1", "7", "18446744073709551616", "9223372036854775807",
            "4611686018427387904", "1e400", "1.5", "-0", "\"3\"", "null", "[]", "{}", "true", "100000000000"};
    private static final String[] DTYPES = {"F32", "F16", "BF16", "F64", "I8", "U8", "I16", "U16", "I32", "U32", "I64",
            "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F7", "", "bf16", "C64", "F4"};
    private static final String JUNK = "{}[],:\"0123456789 -.\\eé\u0000";

    @TempDir Path dir;

    private int opened;
    private int rejected;

    @Test
    void mutatedFilesOnlyEverFailWithSafetensorsException() throws IOException {
        Random random = new Random(20261125);
        List<byte[]> bases = new ArrayList<>();
        for (int i = 0; i < 12; i++) bases.add(validFile(random, i));
        for (byte[] base : bases) check(base, "base"); // every base file opens
        assertEquals(bases.size(), opened);

        for (int c = 0; c < CASES; c++) {
            // a fresh file per case: rewriting (truncating) one file makes ext4 flush it each time
            Path file = dir.resolve("fuzz" + c + ".safetensors");
            byte[] bytes = bases.get(random.nextInt(bases.size()));
            StringBuilder how = new StringBuilder("case " + c + ":");
            int rounds = 1 + (random.nextInt(4) == 0 ? 1 : 0);
            for (int k = 0; k < rounds; k++) bytes = mutate(random, bytes, how);
            Files.write(file, bytes);
            checkFile(file, how.toString());
            Files.delete(file);
        }
        // the mutations reach both outcomes, so the checks on opened files are exercised too
        System.out.println("fuzz: opened " + opened + ", rejected " + rejected);
        assertTrue(opened > 100 + bases.size(), "opened " + opened);
        assertTrue(rejected > CASES / 2, "rejected " + rejected);
    }

    private void check(byte[] bytes, String how) throws IOException {
        Path file = dir.resolve("base" + opened + ".safetensors");
        Files.write(file, bytes);
        checkFile(file, how);
    }

    private void checkFile(Path file, String how) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            opened++;
            long fileSize = Files.size(file);
            long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            long covered = 0;
            for (String name : f.names()) {
                Tensor t = f.get(name);
                assertEquals(t.size() * t.dtype().byteSize(), t.data().byteSize(), how);
                covered += t.data().byteSize();
                if (t.size() == 0) continue;
                if (t.dtype().readableAsFloat()) {
                    t.getFloat(0);
                    t.getFloat(t.size() - 1);
                } else {
                    assertThrows(UnsupportedOperationException.class, () -> t.getFloat(0), how);
                }
            }
            assertEquals(fileSize - 8 - headerLength, covered, how + ": tensors tile the data area");
        } catch (SafetensorsException e) {
            rejected++;
            assertTrue(e.getMessage().contains(file.toString()), how + ": message names the file: " + e.getMessage());
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable e) {
            fail(how + ": escaped " + e, e);
        }
    }

    /** A valid file of 1..5 tensors of random dtypes and shapes, written by SafetensorsWriter. */
    private byte[] validFile(Random random, int index) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        if (random.nextBoolean()) w.metadata("format", "pt");
        DType[] dtypes = DType.values();
        int n = 1 + random.nextInt(5);
        for (int i = 0; i < n; i++) {
            DType dtype = dtypes[random.nextInt(dtypes.length)];
            long[] shape = new long[random.nextInt(4)];
            for (int d = 0; d < shape.length; d++) shape[d] = random.nextInt(6);
            byte[] data = new byte[Math.toIntExact(Tensor.elementCount(shape) * dtype.byteSize())];
            random.nextBytes(data);
            w.add("layers." + i + ".w", dtype, shape, data);
        }
        Path p = dir.resolve("valid" + index + ".safetensors");
        w.write(p);
        return Files.readAllBytes(p);
    }

    private static byte[] mutate(Random r, byte[] base, StringBuilder how) {
        int kind = r.nextInt(8);
        how.append(" kind ").append(kind);
        return switch (kind) {
            case 0 -> flipBytes(r, base);
            case 1 -> Arrays.copyOf(base, r.nextInt(base.length + 1));
            case 2 -> withHeaderLength(base, headerLengthEdit(r, base));
            case 3 -> editHeader(base, json -> replaceRandomMatch(r, json, NUMBER,
                    m -> NUMBER_REPLACEMENTS[r.nextInt(NUMBER_REPLACEMENTS.length)]));
            case 4 -> editHeader(base, json -> replaceRandomMatch(r, json, OFFSETS,
                    m -> "\"data_offsets\":[" + m.group(2) + "," + m.group(1) + "]"));
            case 5 -> editHeader(base, json -> editField(r, json));
            case 6 -> editData(r, base);
            default -> editHeader(base, json -> junk(r, json));
        };
    }

    private static byte[] flipBytes(Random r, byte[] base) {
        byte[] b = base.clone();
        int header = (int) Math.min(b.length, 8 + headerLength(b));
        for (int k = 1 + r.nextInt(4); k > 0; k--) {
            int pos = r.nextInt(4) > 0 && header > 0 ? r.nextInt(header) : r.nextInt(b.length);
            if (r.nextBoolean()) b[pos] ^= (byte) (1 << r.nextInt(8));
            else b[pos] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static long headerLengthEdit(Random r, byte[] base) {
        long n = headerLength(base);
        return switch (r.nextInt(9)) {
            case 0 -> r.nextLong();
            case 1 -> n + 1 + r.nextInt(8);
            case 2 -> n - 1 - r.nextInt(8);
            case 3 -> 0;
            case 4 -> 100_000_001;
            case 5 -> base.length - 8;
            case 6 -> base.length - 7;
            case 7 -> Long.MAX_VALUE;
            default -> (1L << 32) + n;
        };
    }

    private static byte[] editData(Random r, byte[] base) {
        if (r.nextBoolean()) {
            byte[] b = Arrays.copyOf(base, base.length + 1 + r.nextInt(16));
            for (int i = base.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
            return b;
        }
        return Arrays.copyOf(base, Math.max(8, base.length - 1 - r.nextInt(16)));
    }

    private static String editField(Random r, String json) {
        return switch (r.nextInt(5)) {
            case 0 -> replaceRandomMatch(r, json, FIELD, m -> ""); // drop a field, maybe leaving a stray comma
            case 1 -> replaceRandomMatch(r, json, FIELD, m -> m.group(0) + "," + m.group(0)); // duplicate key
            case 2 -> replaceRandomMatch(r, json, Pattern.compile("\"dtype\":\"[^\"]*\""),
                    m -> "\"dtype\":\"" + DTYPES[r.nextInt(DTYPES.length)] + "\"");
            case 3 -> replaceRandomMatch(r, json, FIELD, m -> "\"" + m.group(1) + "\":" + NUMBER_REPLACEMENTS[r.nextInt(NUMBER_REPLACEMENTS.length)]);
            default -> json.replaceFirst("\\{", r.nextBoolean() ? "{\"__metadata__\":{\"k\":" + (r.nextBoolean() ? "1" : "\"v\"") + "},"
                    : "{\"layers.0.w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},");
        };
    }

    private static String junk(Random r, String json) {
        StringBuilder s = new StringBuilder(json);
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            int pos = r.nextInt(s.length() + 1);
            if (r.nextBoolean() && pos < s.length()) s.deleteCharAt(pos);
            else s.insert(pos, JUNK.charAt(r.nextInt(JUNK.length())));
        }
        return s.toString();
    }

    private static String replaceRandomMatch(Random r, String json, Pattern p, java.util.function.Function<Matcher, String> with) {
        Matcher m = p.matcher(json);
        List<int[]> spans = new ArrayList<>();
        List<String> replacements = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
            replacements.add(with.apply(m));
        }
        if (spans.isEmpty()) return json;
        int i = r.nextInt(spans.size());
        return json.substring(0, spans.get(i)[0]) + replacements.get(i) + json.substring(spans.get(i)[1]);
    }

    private static byte[] editHeader(byte[] base, java.util.function.UnaryOperator<String> edit) {
        long n = headerLength(base);
        if (n < 0 || n > base.length - 8) return base; // already broken: leave as is
        String json = new String(base, 8, (int) n, StandardCharsets.UTF_8);
        byte[] header = edit.apply(json).getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(base, 8 + (int) n, base.length);
        return RawFiles.withLength(header.length, header, data);
    }

    private static byte[] withHeaderLength(byte[] base, long length) {
        if (base.length < 8) return base;
        byte[] b = base.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        return b;
    }

    private static long headerLength(byte[] b) {
        return b.length < 8 ? -1 : ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }
}
