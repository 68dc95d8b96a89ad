package dev.casa.bench.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF files written for llama.cpp, read back by a reader written here from ggml's docs/gguf.md (v3: little
 * endian header, typed key/values, tensor infos with dimensions innermost first, data at 32-byte aligned offsets).
 */
class GgufWriterTest {
    @TempDir Path dir;

    record Info(String name, long[] ne, int type, long offset) {}

    @Test
    void headerMetadataTensorInfosAndAlignedDataAsTheSpecSays() throws IOException {
        Random r = new Random(3);
        float[] v = new float[3 * 64];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        Tensor q8 = Quantizer.quantize("a", v, new long[] {3, 64}, WeightFormat.Q8_0);
        Tensor q4 = Quantizer.quantize("b", v, new long[] {3, 64}, WeightFormat.Q4_0);
        Tensor bf = Tensor.ofBf16("c", new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor f32 = Tensor.ofFloats("d", new float[] {0.5f, -1f, 2f}, 3);
        Path file = dir.resolve("t.gguf");
        new GgufWriter().string("general.architecture", "llama").u32("llama.block_count", 24).f32("llama.rope.freq_base", 1e4)
                .bool("b", true).strings("tokens", List.of("x", "yz")).tensor("blk.0.q8", q8).tensor("blk.0.q4", q4)
                .tensor("bf", bf).tensor("norm", f32).write(file);

        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("GGUF", new String(new byte[] {b.get(), b.get(), b.get(), b.get()}, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt());
        assertEquals(4, b.getLong());   // tensors
        assertEquals(5, b.getLong());   // key/values
        Map<String, Object> kv = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            String key = string(b);
            int type = b.getInt();
            kv.put(key, switch (type) {
                case 4 -> Integer.toUnsignedLong(b.getInt());
                case 6 -> b.getFloat();
                case 7 -> b.get() != 0;
                case 8 -> string(b);
                case 9 -> {
                    assertEquals(8, b.getInt());
                    long n = b.getLong();
                    List<String> items = new ArrayList<>();
                    for (long j = 0; j < n; j++) items.add(string(b));
                    yield items;
                }
                default -> throw new AssertionError("type " + type);
            });
        }
        assertEquals(Map.of("general.architecture", "llama", "llama.block_count", 24L, "llama.rope.freq_base", 1e4f,
                "b", true, "tokens", List.of("x", "yz")), kv);
        List<Info> infos = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = string(b);
            long[] ne = new long[b.getInt()];
            for (int d = 0; d < ne.length; d++) ne[d] = b.getLong();
            infos.add(new Info(name, ne, b.getInt(), b.getLong()));
        }
        long dataStart = (b.position() + 31) / 32 * 32;
        Tensor[] tensors = {q8, q4, bf, f32};
        int[] types = {8, 2, 30, 0};
        long[][] ne = {{64, 3}, {64, 3}, {3, 2}, {3}};
        for (int i = 0; i < 4; i++) {
            Info info = infos.get(i);
            assertEquals(types[i], info.type(), info.name());
            assertArrayEquals(ne[i], info.ne(), info.name());
            assertEquals(0, info.offset() % 32, info.name() + " aligned");
            byte[] expected = tensors[i].data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            byte[] got = new byte[expected.length];
            b.get(Math.toIntExact(dataStart + info.offset()), got);
            assertArrayEquals(expected, got, info.name() + " bytes");
        }
        // Q8_0 3 rows × 2 blocks × 34 = 204 bytes → next at 224; Q4_0 3 × 2 × 18 = 108 → 332 → 352; BF16 12 → 384.
        assertArrayEquals(new long[] {0, 224, 352, 384}, infos.stream().mapToLong(Info::offset).toArray());
    }

    private static String string(ByteBuffer b) {
        byte[] s = new byte[Math.toIntExact(b.getLong())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
