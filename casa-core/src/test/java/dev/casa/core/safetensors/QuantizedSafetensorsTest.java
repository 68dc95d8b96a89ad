package dev.casa.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.GgmlBlocks;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The U8 + {@code __metadata__} convention for Q8_0/Q4_0 tensors in safetensors files (docs/quantization.md). */
class QuantizedSafetensorsTest {
    @TempDir Path dir;

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** The header as any JSON parser sees it, read straight from the file's bytes. */
    private static JsonNode header(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new ObjectMapper().readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
    }

    @Test
    void writtenAsU8WithFormatAndShapeInMetadataAndReadBack() throws IOException {
        Tensor q8 = Quantizer.quantize("layers.0.q_proj.weight", values(3 * 64, 1), new long[] {3, 64}, WeightFormat.Q8_0);
        Tensor q4 = Quantizer.quantize("layers.0.up_proj.weight", values(5 * 96, 2), new long[] {5, 96}, WeightFormat.Q4_0);
        Tensor norm = Tensor.ofFloats("norm.weight", values(64, 3), 64);
        Path file = dir.resolve("q.safetensors");
        new SafetensorsWriter(16).metadata("format", "pt").add(q8).add(q4).add(norm).write(file);

        JsonNode h = header(file);
        assertEquals("U8", h.get("layers.0.q_proj.weight").get("dtype").asText());
        assertEquals("[3,68]", h.get("layers.0.q_proj.weight").get("shape").toString());   // 64/32 blocks × 34 bytes
        assertEquals("[5,54]", h.get("layers.0.up_proj.weight").get("shape").toString());   // 96/32 blocks × 18 bytes
        assertEquals("F32", h.get("norm.weight").get("dtype").asText());
        JsonNode meta = h.get("__metadata__");
        assertEquals("pt", meta.get("format").asText());
        assertEquals("Q8_0", meta.get("casa.format.layers.0.q_proj.weight").asText());
        assertEquals("[3,64]", meta.get("casa.shape.layers.0.q_proj.weight").asText());
        assertEquals("Q4_0", meta.get("casa.format.layers.0.up_proj.weight").asText());
        assertEquals("[5,96]", meta.get("casa.shape.layers.0.up_proj.weight").asText());
        assertTrue(meta.get("casa.format.norm.weight") == null);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Tensor expected : new Tensor[] {q8, q4, norm}) {
                Tensor got = f.get(expected.name());
                assertEquals(expected.format(), got.format(), expected.name());
                assertArrayEquals(expected.shape(), got.shape(), expected.name());
                assertTrue(expected.data().mismatch(got.data()) < 0, expected.name() + " bytes");
            }
        }
    }

    /** A file written by hand (not by the writer): the reader decodes GGML blocks at the logical shape. */
    @Test
    void handWrittenQ8FileDecodesToTheBlocksValues() throws IOException {
        float[] v = values(2 * 32, 4);
        byte[] blocks = new byte[2 * 34];
        System.arraycopy(GgmlBlocks.q8(v, 0), 0, blocks, 0, 34);
        System.arraycopy(GgmlBlocks.q8(v, 32), 0, blocks, 34, 34);
        String json = "{\"__metadata__\":{\"casa.format.w\":\"q8_0\",\"casa.shape.w\":\"[2, 32]\"},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[68],\"data_offsets\":[0,68]}}";
        Path file = RawFiles.write(dir, "hand.safetensors", RawFiles.file(json, blocks));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Tensor w = f.get("w");
            assertEquals(WeightFormat.Q8_0, w.format());
            assertArrayEquals(new long[] {2, 32}, w.shape());
            MemorySegment seg = MemorySegment.ofArray(blocks);
            float[] got = w.toFloatArray();
            for (int i = 0; i < 64; i++) assertEquals(GgmlBlocks.weight(seg, i, false), got[i], "weight " + i);
        }
    }

    private String openError(String meta, String dtype, String shape, int bytes) {
        String json = "{\"__metadata__\":{" + meta + "},\"a.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape
                + ",\"data_offsets\":[0," + bytes + "]}}";
        Path file = RawFiles.write(dir, "bad.safetensors", RawFiles.file(json, bytes));
        return assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file)).getMessage();
    }

    @Test
    void corruptQuantizedTensorsAreErrorsNamingTheTensor() {
        String where = dir.resolve("bad.safetensors") + ": tensor 'a.weight': ";
        assertEquals(where + "unknown quantized format 'Q5_K' in __metadata__ casa.format.a.weight (known: Q8_0, Q4_0)",
                openError("\"casa.format.a.weight\":\"Q5_K\",\"casa.shape.a.weight\":\"[2,32]\"", "U8", "[2,34]", 68));
        assertEquals(where + "unknown quantized format 'BF16' in __metadata__ casa.format.a.weight (known: Q8_0, Q4_0)",
                openError("\"casa.format.a.weight\":\"BF16\",\"casa.shape.a.weight\":\"[2,32]\"", "U8", "[2,34]", 68));
        assertEquals(where + "Q8_0 [2, 32] needs 68 bytes but 66 are stored (corrupt or truncated quantized tensor)",
                openError("\"casa.format.a.weight\":\"Q8_0\",\"casa.shape.a.weight\":\"[2,32]\"", "U8", "[2,33]", 66));
        assertEquals(where + "Q4_0 [2, 64] needs 72 bytes but 68 are stored (corrupt or truncated quantized tensor)",
                openError("\"casa.format.a.weight\":\"Q4_0\",\"casa.shape.a.weight\":\"[2,64]\"", "U8", "[2,34]", 68));
        assertEquals(where + "shape [2, 40]: Q8_0 needs rows (the last dimension, 40) that are a multiple of 32",
                openError("\"casa.format.a.weight\":\"Q8_0\",\"casa.shape.a.weight\":\"[2,40]\"", "U8", "[2,34]", 68));
        assertEquals(where + "a Q8_0 tensor must be stored as U8, found I16",
                openError("\"casa.format.a.weight\":\"Q8_0\",\"casa.shape.a.weight\":\"[2,32]\"", "I16", "[34]", 68));
        assertEquals(where + "__metadata__ has casa.format.a.weight but no casa.shape.a.weight",
                openError("\"casa.format.a.weight\":\"Q8_0\"", "U8", "[2,34]", 68));
        assertEquals(where + "__metadata__ has casa.shape.a.weight but no casa.format.a.weight",
                openError("\"casa.shape.a.weight\":\"[2,32]\"", "U8", "[2,34]", 68));
        assertEquals(where + "__metadata__ shape '2x32' is not a JSON array of dimensions",
                openError("\"casa.format.a.weight\":\"Q8_0\",\"casa.shape.a.weight\":\"2x32\"", "U8", "[2,34]", 68));
        assertEquals(where + "__metadata__ shape '[2,-32]' has a dimension that is not a non-negative integer",
                openError("\"casa.format.a.weight\":\"Q8_0\",\"casa.shape.a.weight\":\"[2,-32]\"", "U8", "[2,34]", 68));
        assertEquals(dir.resolve("bad.safetensors") + ": __metadata__ key 'casa.format.b.weight' names tensor 'b.weight', which is not in the file",
                openError("\"casa.format.b.weight\":\"Q8_0\"", "U8", "[2,34]", 68));
    }

    @Test
    void aPlainU8TensorWithoutMetadataStaysU8() throws IOException {
        Path file = dir.resolve("plain.safetensors");
        new SafetensorsWriter().add("ids", DType.U8, new long[] {4}, new byte[] {1, 2, 3, 4}).write(file);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(DType.U8, f.get("ids").dtype());
            assertEquals(false, f.get("ids").format().readableAsFloat());
            assertEquals(3, f.get("ids").data().get(ValueLayout.JAVA_BYTE, 2));
        }
    }
}
