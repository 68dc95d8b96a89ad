package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Slots, the bounded queue and 429, clients that leave, and many clients at once. */
class ConcurrencyTest {
    private static final String DESCRIBE = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
            + Demo.exampleDataUri() + "\"}},{\"type\":\"text\",\"text\":\"Describe the image.\"}]}]";

    /** Occupies generation slots (and queue places) with tasks that wait for {@code release}. */
    private static List<Thread> occupy(ServerContext ctx, int tasks, CountDownLatch release) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    ctx.slots.run(() -> {
                        release.await();
                        return null;
                    }, ClientWatch.NONE);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(t);
        }
        return threads;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        try (CasaServer server = Demo.start(ServerConfig.builder().parallel(1).queue(1))) {
            ServerContext ctx = server.context();
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> held = occupy(ctx, 2, release);
            await("one runs and one waits", () -> ctx.slots.running() == 1 && ctx.slots.queued() == 1);
            RawHttp.Reply r = RawHttp.json(server.uri(), "/v1/chat/completions", DESCRIBE + "}");
            assertEquals(429, r.status(), r.text());
            assertTrue(Long.parseLong(r.header("retry-after")) >= 1, r.header("retry-after"));
            assertEquals("rate_limit_error", r.json().at("/error/type").asText());
            assertEquals("server_busy", r.json().at("/error/code").asText());
            String metrics = RawHttp.send(server.uri(), "GET", "/metrics", java.util.Map.of(), null).text();
            assertTrue(metrics.contains("\ncasa_queue_depth 1\n"), metrics);
            assertTrue(metrics.contains("\ncasa_generations_running 1\n"), metrics);
            assertTrue(metrics.contains("\ncasa_requests_rejected_total 1\n"), metrics);
            assertTrue(metrics.contains("casa_requests_total{route=\"chat\",status=\"429\"} 1"), metrics);
            release.countDown();
            for (Thread t : held) t.join();
            RawHttp.Reply ok = RawHttp.json(server.uri(), "/v1/chat/completions", DESCRIBE + "}");
            assertEquals(Demo.EXPECTED, ok.json().at("/choices/0/message/content").asText());
        }
    }

    @Test
    void aClientThatLeavesWhileQueuedGivesUpItsPlace() throws Exception {
        try (CasaServer server = Demo.start(ServerConfig.builder().parallel(1).queue(4))) {
            ServerContext ctx = server.context();
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> held = occupy(ctx, 1, release);
            await("the slot is taken", () -> ctx.slots.running() == 1);
            long generated = ctx.metrics.completionTokens.sum();
            try (Socket s = send(server.uri(), DESCRIBE + "}")) {
                await("the request waits", () -> ctx.slots.queued() == 1);
            }
            // Closed while waiting: noticed with no write to fail, and its place is given up.
            await("the request leaves the queue", () -> ctx.slots.queued() == 0);
            release.countDown();
            for (Thread t : held) t.join();
            Thread.sleep(200);
            assertEquals(generated, ctx.metrics.completionTokens.sum(), "nothing was generated for it");
        }
    }

    @Test
    void aClientThatLeavesMidAnswerStopsItsGeneration() throws Exception {
        try (CasaServer server = Demo.start(ServerConfig.builder())) {
            ServerContext ctx = server.context();
            // ignore_eos: the demo model goes on to max_tokens, long enough to leave in the middle.
            for (boolean stream : new boolean[] {true, false}) {
                long cancelled = ctx.metrics.cancelled.sum();
                long generated = ctx.metrics.completionTokens.sum();
                try (Socket s = send(server.uri(), DESCRIBE + ",\"ignore_eos\":true,\"max_tokens\":1000,\"stream\":" + stream + "}")) {
                    if (stream) {
                        InputStream in = s.getInputStream();
                        assertTrue(RawHttp.readHead(in).startsWith("HTTP/1.1 200"));
                        byte[] first = new byte[64];
                        assertTrue(in.read(first) > 0, "the answer started streaming");
                    } else {
                        await("the generation runs", () -> !ctx.active.isEmpty());
                    }
                }
                await("the generation is cancelled", () -> ctx.metrics.cancelled.sum() == cancelled + 1);
                long tokens = ctx.metrics.completionTokens.sum() - generated;
                assertTrue(tokens < 1000, (stream ? "streamed" : "whole") + " answer stopped early: " + tokens + " tokens");
                await("the slot is free", () -> ctx.slots.running() == 0);
            }
            RawHttp.Reply ok = RawHttp.json(server.uri(), "/v1/chat/completions", DESCRIBE + "}");
            assertEquals(Demo.EXPECTED, ok.json().at("/choices/0/message/content").asText());
        }
    }

    /** Sends a chat request on a socket that the caller closes when it likes. */
    private static Socket send(URI base, String json) throws IOException {
        Socket s = new Socket(base.getHost(), base.getPort());
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        return s;
    }

    @Test
    void manyClientsAtOnceAllGetTheRightAnswer() throws Exception {
        try (CasaServer server = Demo.start(ServerConfig.builder().parallel(2).queue(8));
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
             ExecutorService clients = Executors.newFixedThreadPool(6)) {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                answers.add(clients.submit(() -> {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri().resolve("/v1/chat/completions"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(DESCRIBE + "}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    return Json.MAPPER.readTree(r.body()).at("/choices/0/message/content").asText();
                }));
            }
            for (Future<String> a : answers) assertEquals(Demo.EXPECTED, a.get());
            // A request is counted once its response is written: the last one may lag its client by a moment.
            String metrics = "";
            for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; Thread.sleep(20)) {
                metrics = http.send(HttpRequest.newBuilder(server.uri().resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (metrics.contains("casa_requests_total{route=\"chat\",status=\"200\"} 12")) break;
            }
            assertTrue(metrics.contains("casa_requests_total{route=\"chat\",status=\"200\"} 12"), metrics);
            for (String line : metrics.split("\n")) {
                assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || line.matches("[a-z_]+(\\{[^}]*\\})? -?[0-9.]+"), "Prometheus line: " + line);
            }
            assertTrue(value(metrics, "casa_decode_tokens_per_second") > 0);
            assertEquals(12 * 13, value(metrics, "casa_prompt_tokens_total"));
            assertEquals(12 * 9, value(metrics, "casa_image_tokens_total"));
            assertEquals(0, value(metrics, "casa_kv_cache_bytes"), "no generation runs, no stream is open");
            assertEquals(0, value(metrics, "casa_queue_depth"));
        }
    }

    static double value(String metrics, String name) {
        for (String line : metrics.split("\n")) if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        throw new AssertionError(name + " not in " + metrics);
    }
}
