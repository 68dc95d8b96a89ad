package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile requests over a raw socket: each gets OpenAI's error shape with the right
 * status, and the server keeps answering correctly afterwards.
 */
class BadInputTest {
    private static final long MAX_BODY = 256 * 1024;
    private static CasaServer server;
    private static URI base;

    @BeforeAll
    static void start() throws Exception {
        server = Demo.start(ServerConfig.builder().maxBodyBytes(MAX_BODY).maxImages(2));
        base = server.uri();
    }

    @AfterAll
    static void stop() throws Exception {
        // Nothing crashed: the server still answers, and answers right.
        assertEquals(200, RawHttp.send(base, "GET", "/health", Map.of(), null).status());
        RawHttp.Reply ok = RawHttp.json(base, "/v1/chat/completions", chat(image(Demo.exampleDataUri()) + "," + text(Demo.QUESTION), ""));
        assertEquals(200, ok.status(), ok.text());
        assertEquals(Demo.EXPECTED, ok.json().at("/choices/0/message/content").asText());
        server.close();
    }

    private static String image(String url) { return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}"; }

    private static String text(String t) { return "{\"type\":\"text\",\"text\":\"" + t + "\"}"; }

    /** A chat body with one user message of {@code parts}, plus {@code extra} top-level fields (",\"k\":v"). */
    private static String chat(String parts, String extra) {
        return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[" + parts + "]}]" + extra + "}";
    }

    /** Asserts the status and OpenAI's error shape: all four keys, the given type, code and param. */
    private static JsonNode assertError(RawHttp.Reply r, int status, String code, String param) {
        assertEquals(status, r.status(), r.text());
        assertTrue(r.header("content-type").startsWith("application/json"), r.header("content-type"));
        JsonNode e = r.json().get("error");
        assertNotNull(e, r.text());
        for (String k : new String[] {"message", "type", "param", "code"}) assertTrue(e.has(k), "error." + k + " in " + r.text());
        assertFalse(e.get("message").asText().isBlank());
        assertEquals(status >= 500 ? "server_error" : status == 429 ? "rate_limit_error" : "invalid_request_error", e.get("type").asText());
        if (code != null) assertEquals(code, e.get("code").asText(), r.text());
        if (param == null) assertTrue(e.get("param").isNull(), r.text());
        else assertEquals(param, e.get("param").asText(), r.text());
        return e;
    }

    @Test
    void malformedJson() throws IOException {
        JsonNode e = assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\","), 400, "invalid_json", null);
        assertTrue(e.get("message").asText().contains("line 1"), e.toString());
        assertError(RawHttp.json(base, "/v1/chat/completions", ""), 400, "invalid_json", null);
        assertError(RawHttp.json(base, "/v1/chat/completions", "[1, 2]"), 400, "invalid_type", null);
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\": \"\u0000\"} trailing"), 400, "invalid_json", null);
    }

    @Test
    void fieldsOfTheWrongType() throws IOException {
        String msg = text(Demo.QUESTION);
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":\"ten\"")), 400, "invalid_type", "max_tokens");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":2.5")), 400, "invalid_type", "max_tokens");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"temperature\":\"hot\"")), 400, "invalid_type", "temperature");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"stream\":\"yes\"")), 400, "invalid_type", "stream");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"stop\":7")), 400, "invalid_type", "stop");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"seed\":{}")), 400, "invalid_type", "seed");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\":\"hi\"}"), 400, "invalid_type", "messages");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":5}]}"), 400, "invalid_type", "messages[0].content");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\":[{\"role\":7,\"content\":\"x\"}]}"), 400, "invalid_type", "messages[0].role");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat("{\"type\":\"image_url\",\"image_url\":42}", "")), 400, "invalid_type", "messages[0].content[0].image_url");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat("{\"type\":\"text\",\"text\":[\"a\"]}", "")), 400, "invalid_type", "messages[0].content[0].text");
    }

    @Test
    void unknownFieldsAndValuesOutOfRange() throws IOException {
        String msg = text(Demo.QUESTION);
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"temprature\":0.5")), 400, "unknown_parameter", "temprature");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"n\":2")), 400, "unsupported_parameter", "n");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"tools\":[{\"type\":\"function\"}]")), 400, "unsupported_parameter", "tools");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"temperature\":3")), 400, "invalid_value", "temperature");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":0")), 400, "invalid_value", "max_tokens");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")), 400, "invalid_value", "stop");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\":[]}"), 400, "invalid_value", "messages");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"model\":\"m\"}"), 400, "missing_required_parameter", "messages");
        assertError(RawHttp.json(base, "/v1/chat/completions", "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400, "invalid_value", "messages[0].role");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat("{\"type\":\"input_audio\"}", "")), 400, "invalid_value", "messages[0].content[0].type");
        // Neutral values of parameters we do not implement are fine.
        RawHttp.Reply ok = RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"n\":1,\"frequency_penalty\":0,\"user\":\"me\",\"max_tokens\":2"));
        assertEquals(200, ok.status(), ok.text());
    }

    @Test
    void imagesThatDoNotDecode() throws IOException {
        String junk = "data:image/png;base64," + Base64.getEncoder().encodeToString("not a png at all".getBytes(StandardCharsets.UTF_8));
        JsonNode e = assertError(RawHttp.json(base, "/v1/chat/completions", chat(image(junk), "")), 400, "invalid_image", "messages[0].content[0].image_url.url");
        assertTrue(e.get("message").asText().contains("not a PNG, JPEG, BMP or GIF"), e.toString());
        byte[] png = Demo.examplePng();
        byte[] truncated = java.util.Arrays.copyOf(png, png.length / 2);
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:image/png;base64," + Base64.getEncoder().encodeToString(truncated)), "")),
                400, "invalid_image", "messages[0].content[0].image_url.url");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:image/png;base64,@@@@"), "")), 400, "invalid_image_url", "messages[0].content[0].image_url.url");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:text/plain;base64,aGk="), "")), 400, "invalid_image_url", "messages[0].content[0].image_url.url");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:image/png,raw"), "")), 400, "invalid_image_url", "messages[0].content[0].image_url.url");
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("picture.png"), "")), 400, "invalid_image_url", "messages[0].content[0].image_url.url");
    }

    /** A PNG whose header claims 30000 x 30000 pixels (900 M): refused from the header, nothing decoded. */
    @Test
    void aDecompressionBombIsRefusedFromItsHeader() throws IOException {
        byte[] bomb = pngHeaderOnly(30_000, 30_000);
        JsonNode e = assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:image/png;base64," + Base64.getEncoder().encodeToString(bomb)), "")),
                400, "image_too_large", "messages[0].content[0].image_url.url");
        assertTrue(e.get("message").asText().contains("30000x30000"), e.toString());
        // A real one: 5000 x 5000 black pixels (25 M, over the 16 M default) compress to a few KB.
        BufferedImage black = new BufferedImage(5000, 5000, BufferedImage.TYPE_BYTE_GRAY);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(black, "png", png);
        assertTrue(png.size() < MAX_BODY / 2, "the bomb is small: " + png.size());
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(image("data:image/png;base64," + Base64.getEncoder().encodeToString(png.toByteArray())), "")),
                400, "image_too_large", "messages[0].content[0].image_url.url");
    }

    @Test
    void aBodyOverTheLimitIs413() throws IOException {
        byte[] big = new byte[(int) MAX_BODY + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        assertError(RawHttp.send(base, "POST", "/v1/chat/completions", Map.of("Content-Type", "application/json"), big), 413, "request_too_large", null);
        // Without a Content-Length (chunked), the limit holds while reading.
        String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        for (int i = 0; i < 40; i++) {
            req.writeBytes("2000\r\n".getBytes(StandardCharsets.ISO_8859_1));
            req.writeBytes(new byte[0x2000]);
            req.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        req.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertError(RawHttp.raw(base, req.toByteArray()), 413, "request_too_large", null);
        // A frame body too.
        RawHttp.Reply s = RawHttp.json(base, "/v1/streams", "{}");
        String id = s.json().get("id").asText();
        assertError(RawHttp.send(base, "POST", "/v1/streams/" + id + "/frames", Map.of("Content-Type", "image/png"), big), 413, "request_too_large", null);
        RawHttp.send(base, "DELETE", "/v1/streams/" + id, Map.of(), null);
    }

    @Test
    void tooManyImages() throws IOException {
        String one = image(Demo.exampleDataUri());
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(one + "," + one + "," + one + "," + text("Describe the image."), "")), 400, "too_many_images", "messages");
    }

    @Test
    void maxTokensBeyondTheContext() throws IOException {
        String msg = image(Demo.exampleDataUri()) + "," + text(Demo.QUESTION);
        JsonNode e = assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":5000")), 400, "context_length_exceeded", "max_tokens");
        assertTrue(e.get("message").asText().contains("1024"), e.toString());
        // 13 prompt tokens + 1020 > 1024: found once the prompt is known.
        e = assertError(RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":1020")), 400, "context_length_exceeded", "max_tokens");
        assertTrue(e.get("message").asText().contains("1033 tokens (13 in the messages, 1020 in the completion)"), e.toString());
        assertEquals(200, RawHttp.json(base, "/v1/chat/completions", chat(msg, ",\"max_tokens\":1011")).status());
        // A prompt longer than the context.
        String longText = "circle ".repeat(1500);
        assertError(RawHttp.json(base, "/v1/chat/completions", chat(text(longText), "")), 400, "context_length_exceeded", "messages");
    }

    @Test
    void unknownStreamIds() throws IOException {
        assertError(RawHttp.send(base, "POST", "/v1/streams/stream-nope/frames", Map.of("Content-Type", "image/png"), Demo.examplePng()), 404, "stream_not_found", null);
        assertError(RawHttp.send(base, "GET", "/v1/streams/stream-nope", Map.of(), null), 404, "stream_not_found", null);
        assertError(RawHttp.send(base, "DELETE", "/v1/streams/stream-nope", Map.of(), null), 404, "stream_not_found", null);
    }

    @Test
    void wrongUrlsMethodsAndContentTypes() throws IOException {
        assertError(RawHttp.send(base, "GET", "/v1/completions", Map.of(), null), 404, "unknown_url", null);
        assertError(RawHttp.send(base, "GET", "/v1/models/other", Map.of(), null), 404, "model_not_found", null);
        RawHttp.Reply r = RawHttp.send(base, "GET", "/v1/chat/completions", Map.of(), null);
        assertError(r, 405, "method_not_allowed", null);
        assertEquals("POST", r.header("allow"));
        assertError(RawHttp.send(base, "POST", "/v1/chat/completions", Map.of("Content-Type", "text/plain"),
                chat(text("hi"), "").getBytes(StandardCharsets.UTF_8)), 415, "unsupported_media_type", null);
        assertError(RawHttp.send(base, "POST", "/v1/streams/x/frames", Map.of("Content-Type", "text/plain"), new byte[10]), 404, "stream_not_found", null);
    }

    @Test
    void malformedHttp() throws IOException {
        assertError(RawHttp.raw(base, "GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)), 400, null, null);
        assertError(RawHttp.raw(base, ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)), 431, null, null);
        // Content-Length and Transfer-Encoding together (request smuggling): refused.
        String both = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assertEquals(400, RawHttp.raw(base, both.getBytes(StandardCharsets.ISO_8859_1)).status());
        // A chunked body with a malformed chunk size.
        String badChunk = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
        assertError(RawHttp.raw(base, badChunk.getBytes(StandardCharsets.ISO_8859_1)), 400, null, null);
    }

    /** The signature, an IHDR chunk (8-bit RGB) with the given size and its CRC, and IEND. */
    static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
