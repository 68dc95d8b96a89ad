package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key, --allow-dir without traversal, no URL fetching, loopback by default. */
class SecurityTest {
    private static final String KEY = "secret-key-42";
    @TempDir
    static Path tmp;
    private static Path allowed;
    private static Path outside;
    private static CasaServer server;
    private static URI base;

    @BeforeAll
    static void start() throws Exception {
        allowed = Files.createDirectories(tmp.resolve("allowed"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createDirectories(allowed.resolve("sub"));
        Files.copy(Demo.examplePath(), allowed.resolve("inside.png"));
        // The same picture outside: a refusal cannot come from the image itself.
        Files.copy(Demo.examplePath(), outside.resolve("secret.png"));
        Files.createSymbolicLink(allowed.resolve("link.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(allowed.resolve("linkdir"), outside);
        server = Demo.start(ServerConfig.builder().apiKey(KEY).allowDir(allowed));
        base = server.uri();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static Map<String, String> auth(Map<String, String> more) {
        java.util.HashMap<String, String> h = new java.util.HashMap<>(more);
        h.put("Authorization", "Bearer " + KEY);
        return h;
    }

    private static RawHttp.Reply askAbout(String url) throws IOException {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":" + Json.MAPPER.writeValueAsString(url)
                + "}},{\"type\":\"text\",\"text\":\"Describe the image.\"}]}]}";
        return RawHttp.send(base, "POST", "/v1/chat/completions", auth(Map.of("Content-Type", "application/json")), body.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRefused(RawHttp.Reply r, String code) {
        assertEquals(400, r.status(), r.text());
        assertEquals(code, r.json().at("/error/code").asText(), r.text());
    }

    @Test
    void theApiKeyGuardsEveryEndpointButHealth() throws IOException {
        record Call(String method, String path, String type, byte[] body) {}
        byte[] json = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
        List<Call> calls = List.of(
                new Call("GET", "/metrics", null, null),
                new Call("GET", "/v1/models", null, null),
                new Call("GET", "/v1/models/" + server.modelId(), null, null),
                new Call("POST", "/v1/chat/completions", "application/json", json),
                new Call("POST", "/v1/streams", "application/json", "{}".getBytes(StandardCharsets.UTF_8)),
                new Call("GET", "/v1/streams/stream-x", null, null),
                new Call("POST", "/v1/streams/stream-x/frames", "image/png", Demo.examplePng()),
                new Call("DELETE", "/v1/streams/stream-x", null, null),
                new Call("GET", "/v1/no-such-endpoint", null, null));
        for (Call c : calls) {
            Map<String, String> h = c.type() == null ? Map.of() : Map.of("Content-Type", c.type());
            for (Map<String, String> headers : List.of(h, with(h, "Authorization", "Bearer wrong"), with(h, "Authorization", KEY),
                    with(h, "Authorization", "Basic " + KEY), with(h, "Authorization", "Bearer " + KEY + "x"))) {
                RawHttp.Reply r = RawHttp.send(base, c.method(), c.path(), headers, c.body());
                assertEquals(401, r.status(), c + " with " + headers.get("Authorization") + ": " + r.text());
                assertEquals("invalid_api_key", r.json().at("/error/code").asText());
                assertEquals("Bearer", r.header("www-authenticate"));
            }
            RawHttp.Reply ok = RawHttp.send(base, c.method(), c.path(), auth(h), c.body());
            assertNotEquals(401, ok.status(), c + " with the key: " + ok.text());
        }
        assertEquals(200, RawHttp.send(base, "GET", "/health", Map.of(), null).status());
        // The page's static files hold no data; the page asks for the key.
        RawHttp.Reply page = RawHttp.send(base, "GET", "/", Map.of(), null);
        assertEquals(200, page.status());
        assertTrue(page.text().contains("<title>casa serve</title>"));
        assertTrue(page.header("content-security-policy").contains("default-src 'self'"));
    }

    private static Map<String, String> with(Map<String, String> h, String k, String v) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(h);
        m.put(k, v);
        return m;
    }

    @Test
    void filesUnderTheAllowedFolderAreRead() throws IOException {
        for (String url : List.of(allowed.resolve("inside.png").toString(), allowed.resolve("inside.png").toUri().toString(),
                allowed.resolve("sub/../inside.png").toString())) {
            RawHttp.Reply r = askAbout(url);
            assertEquals(200, r.status(), url + ": " + r.text());
            assertEquals(Demo.EXPECTED, r.json().at("/choices/0/message/content").asText());
        }
    }

    @Test
    void noPathLeavesTheAllowedFolder() throws IOException {
        String a = allowed.toString();
        for (String url : List.of(a + "/../outside/secret.png", a + "/sub/../../outside/secret.png", a + "/./../outside/secret.png",
                "file://" + a + "/%2e%2e/outside/secret.png", "file://" + a + "/..%2Foutside%2Fsecret.png",
                outside.resolve("secret.png").toString(), "/etc/passwd", "/nonexistent/x.png", a + "/../outside/missing.png",
                a + "/link.png", a + "/linkdir/secret.png", a + "/../allowed-not/x.png")) {
            assertRefused(askAbout(url), "path_not_allowed");
        }
        assertRefused(askAbout("inside.png"), "invalid_image_url");
        assertRefused(askAbout(a + "/missing.png"), "file_not_found");
        assertRefused(askAbout(a + "/sub"), "file_not_readable");
        assertRefused(askAbout(a + "/inside.png\u0000.txt"), "invalid_path");
    }

    @Test
    void withoutAllowDirNoLocalFileIsRead() throws Exception {
        try (CasaServer plain = Demo.start(ServerConfig.builder())) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                    + Demo.examplePath() + "\"}}]}]}";
            RawHttp.Reply r = RawHttp.json(plain.uri(), "/v1/chat/completions", body);
            assertRefused(r, "local_files_disabled");
        }
    }

    @Test
    void urlsAreNeverFetched() throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(300);
            int port = listener.getLocalPort();
            for (String url : List.of("http://127.0.0.1:" + port + "/x.png", "https://127.0.0.1:" + port + "/x.png",
                    "HTTP://localhost:" + port + "/x.png", "ftp://127.0.0.1:" + port + "/x.png", "//127.0.0.1:" + port + "/x.png",
                    "jar:http://127.0.0.1:" + port + "/x.jar!/x.png")) {
                RawHttp.Reply r = askAbout(url);
                assertEquals(400, r.status(), url + ": " + r.text());
                assertTrue(List.of("url_not_supported", "path_not_allowed", "invalid_path").contains(r.json().at("/error/code").asText()), url + ": " + r.text());
            }
            assertThrows(SocketTimeoutException.class, listener::accept, "the server connected to the URL's host");
        }
    }

    @Test
    void theDefaultBindIsLoopback() throws Exception {
        assertEquals("127.0.0.1", ServerConfig.DEFAULT_HOST);
        assertEquals(ServerConfig.DEFAULT_HOST, ServerConfig.builder().build().host());
        try (CasaServer s = CasaServer.start(Demo.model(), ServerConfig.builder().port(0).build())) {
            assertTrue(s.address().getAddress().isLoopbackAddress(), "bound to " + s.address());
            assertEquals("127.0.0.1", s.address().getAddress().getHostAddress());
        }
    }
}
