package dev.casa.core.safetensors;

import static dev.casa.core.safetensors.RawFiles.file;
import static dev.casa.core.safetensors.RawFiles.withLength;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformation is a SafetensorsException naming the file, the tensor and the problem. */
class MalformedSafetensorsTest {

    @TempDir Path dir;

    private static String t(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    private static Arguments bad(String what, byte[] bytes, String... expectedFragments) {
        return Arguments.of(what, bytes, expectedFragments);
    }

    static Stream<Arguments> cases() {
        String a = t("a", "F32", "[2]", "[0,8]");
        return Stream.of(
                bad("empty file", new byte[0], "too short"),
                bad("7 bytes", new byte[7], "too short"),
                bad("header length 2^64-1", withLength(-1, "{}".getBytes(), new byte[0]), "exceeds the limit"),
                bad("header length above cap", withLength(100_000_001, "{}".getBytes(), new byte[0]), "exceeds the limit"),
                bad("header length past end", withLength(3, "{}".getBytes(), new byte[0]), "runs past the end"),
                bad("empty header", withLength(0, new byte[0], new byte[0]), "does not start with '{'"),
                bad("array header", file("[]", 0), "does not start with '{'"),
                bad("leading space", file(" {}", 0), "does not start with '{'"),
                bad("invalid UTF-8", withLength(6, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1'}, new byte[0]), "not valid UTF-8"),
                bad("not JSON", file("{abc}", 0), "not valid JSON"),
                bad("truncated JSON", file("{\"a\":{", 0), "not valid JSON"),
                bad("trailing tokens", file("{} {}", 0), "not valid JSON"),
                bad("duplicate tensor", file("{" + a + "," + t("a", "F32", "[2]", "[8,16]") + "}", 16), "not valid JSON", "Duplicate", "'a'"),
                bad("duplicate field", file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "Duplicate", "dtype"),
                bad("metadata not object", file("{\"__metadata__\":[1]}", 0), "__metadata__"),
                bad("metadata value not string", file("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__", "'k'"),
                bad("tensor not object", file("{\"a\":[1]}", 0), "tensor 'a'", "not a JSON object"),
                bad("dtype missing", file("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a'", "'dtype'"),
                bad("dtype number", file("{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "tensor 'a'", "'dtype'"),
                bad("dtype unknown", file("{" + t("a", "F7", "[2]", "[0,8]") + "}", 8), "tensor 'a'", "unknown", "F7"),
                bad("dtype lower case", file("{" + t("a", "f32", "[2]", "[0,8]") + "}", 8), "tensor 'a'", "unknown"),
                bad("shape missing", file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8), "tensor 'a'", "'shape'"),
                bad("shape not array", file("{" + t("a", "F32", "2", "[0,8]") + "}", 8), "tensor 'a'", "'shape'"),
                bad("negative dim", file("{" + t("a", "F32", "[-2]", "[0,8]") + "}", 8), "tensor 'a'", "'shape'", "non-negative"),
                bad("fractional dim", file("{" + t("a", "F32", "[2.0]", "[0,8]") + "}", 8), "tensor 'a'", "'shape'"),
                bad("string dim", file("{" + t("a", "F32", "[\"2\"]", "[0,8]") + "}", 8), "tensor 'a'", "'shape'"),
                bad("dim beyond long", file("{" + t("a", "F32", "[18446744073709551616]", "[0,8]") + "}", 8), "tensor 'a'", "'shape'"),
                bad("shape overflows", file("{" + t("a", "F32", "[4611686018427387904,4]", "[0,8]") + "}", 8), "tensor 'a'", "overflows"),
                bad("offsets missing", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8), "tensor 'a'", "'data_offsets'"),
                bad("three offsets", file("{" + t("a", "F32", "[2]", "[0,8,8]") + "}", 8), "tensor 'a'", "'data_offsets'", "expected 2"),
                bad("negative offset", file("{" + t("a", "F32", "[2]", "[-8,0]") + "}", 8), "tensor 'a'", "'data_offsets'"),
                bad("offsets reversed", file("{" + t("a", "F32", "[2]", "[8,0]") + "}", 8), "tensor 'a'", "end before"),
                bad("offsets beyond data", file("{" + t("a", "F32", "[2]", "[8,16]") + "}", 8), "tensor 'a'", "beyond the data area"),
                bad("huge offsets", file("{" + t("a", "F32", "[2]", "[9223372036854775800,9223372036854775807]") + "}", 8), "tensor 'a'", "beyond"),
                bad("size mismatch", file("{" + t("a", "F32", "[3]", "[0,8]") + "}", 8), "tensor 'a'", "needs 12 bytes"),
                bad("overlap", file("{" + t("a", "F32", "[2]", "[0,8]") + "," + t("b", "F32", "[1]", "[4,8]") + "}", 8), "overlap"),
                bad("gap", file("{" + t("a", "F32", "[1]", "[0,4]") + "," + t("b", "F32", "[1]", "[8,12]") + "}", 12), "tensor 'b'", "unused"),
                bad("first tensor not at 0", file("{" + t("a", "F32", "[1]", "[4,8]") + "}", 8), "tensor 'a'", "unused"),
                bad("trailing data", file("{" + a + "}", 12), "cover 8 bytes", "holds 12"),
                bad("data but no tensors", file("{}", 4), "cover 0 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRejectedWithAClearMessage(String what, byte[] bytes, String[] expectedFragments) {
        Path p = RawFiles.write(dir, "bad.safetensors", bytes);
        var e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p).close(), what);
        String message = e.getMessage();
        assertTrue(message.contains(p.toString()), "message names the file: " + message);
        for (String fragment : expectedFragments) {
            assertTrue(message.contains(fragment), "'" + fragment + "' in: " + message);
        }
        assertTrue(message.getBytes(StandardCharsets.UTF_8).length < 2000, "message is short: " + message.length());
    }
}
