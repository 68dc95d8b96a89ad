package dev.casa.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.bench.e2e.MachineState;
import dev.casa.server.CasaServer;
import dev.casa.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code casa serve} under load, on loopback: {@code clients} threads each send {@code requests} chat
 * requests (one held-out picture each, "Describe the image.") to a server with {@code parallel}
 * generation slots; every answer must be the PyTorch reference's. Reports latency percentiles,
 * throughput and, for the streamed pass, the time to the first token. Bounded: a fixed number of
 * requests, each with a 120 s timeout.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Dclients=8 -Drequests=20 -Dparallel=2 \
 *     -cp casa-bench/target/casa-bench.jar dev.casa.bench.serve.ServeLoadBench
 * </pre>
 */
public final class ServeLoadBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Sample(long nanos, long firstTokenNanos, int tokens, boolean right) {}

    public static void main(String[] args) throws Exception {
        int clients = Integer.getInteger("clients", 8);
        int requests = Integer.getInteger("requests", 20);
        int parallel = Integer.getInteger("parallel", 2);
        Path modelDir = Path.of(System.getProperty("model", DemoFrames.demoRoot().resolve("model").toString()));
        DemoFrames frames = DemoFrames.load();
        try (CasaModel model = CasaModel.load(modelDir);
             CasaServer server = CasaServer.start(model, ServerConfig.builder().port(0).parallel(parallel).queue(clients).build());
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build()) {
            URI chat = server.uri().resolve("/v1/chat/completions");
            System.out.printf(Locale.ROOT, "casa serve load: %s, %d clients x %d requests, --parallel %d, %d cores, load average %s%n",
                    model.architecture(), clients, requests, parallel, Runtime.getRuntime().availableProcessors(), MachineState.loadAverage());
            for (int i = 0; i < 6 * frames.size(); i++) one(http, chat, frames, i % frames.size(), i % 2 == 0);   // warm-up (JIT)
            for (boolean stream : new boolean[] {false, true}) {
                List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger failed = new AtomicInteger();
                long start = System.nanoTime();
                try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int c = 0; c < clients; c++) {
                        int client = c;
                        done.add(pool.submit(() -> {
                            for (int r = 0; r < requests; r++) {
                                try {
                                    samples.add(one(http, chat, frames, (client * requests + r) % frames.size(), stream));
                                } catch (Exception e) {
                                    failed.incrementAndGet();
                                    System.out.println("request failed: " + e);
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) f.get(30, TimeUnit.MINUTES);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                report(stream ? "streamed" : "whole", samples, failed.get(), clients * requests, seconds);
            }
        }
    }

    private static Sample one(HttpClient http, URI chat, DemoFrames frames, int k, boolean stream) throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(frames.images().get(k)) + "\"}},{\"type\":\"text\",\"text\":\"" + DemoFrames.QUESTION + "\"}]}]"
                + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + "}";
        HttpRequest req = HttpRequest.newBuilder(chat).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long t0 = System.nanoTime();
        if (!stream) {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            long t = System.nanoTime() - t0;
            if (r.statusCode() != 200) throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
            JsonNode j = JSON.readTree(r.body());
            String answer = j.at("/choices/0/message/content").asText();
            return new Sample(t, t, j.at("/usage/completion_tokens").asInt(), answer.equals(frames.answers().get(k)));
        }
        HttpResponse<java.util.stream.Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) throw new IllegalStateException("status " + r.statusCode());
        StringBuilder answer = new StringBuilder();
        long first = -1;
        int tokens = 0;
        for (String line : (Iterable<String>) r.body()::iterator) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode c = JSON.readTree(line.substring(6));
            String piece = c.at("/choices/0/delta/content").asText("");
            if (!piece.isEmpty()) {
                if (first < 0) first = System.nanoTime() - t0;
                answer.append(piece);
            }
            if (c.has("usage") && !c.get("usage").isNull()) tokens = c.at("/usage/completion_tokens").asInt();
        }
        return new Sample(System.nanoTime() - t0, first, tokens, answer.toString().equals(frames.answers().get(k)));
    }

    private static void report(String what, List<Sample> samples, int failed, int sent, double seconds) {
        long[] lat = samples.stream().mapToLong(Sample::nanos).sorted().toArray();
        long[] ttft = samples.stream().mapToLong(Sample::firstTokenNanos).sorted().toArray();
        long right = samples.stream().filter(Sample::right).count();
        long tokens = samples.stream().mapToLong(Sample::tokens).sum();
        System.out.printf(Locale.ROOT, "%-8s  %d sent, %d answered, %d right, %d failed | latency p50 %.1f ms, p95 %.1f ms, max %.1f ms"
                        + " | first token p50 %.1f ms, p95 %.1f ms | %.1f requests/s, %.0f generated tokens/s over %.1f s%n",
                what, sent, samples.size(), right, failed, pct(lat, 50), pct(lat, 95), lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6,
                pct(ttft, 50), pct(ttft, 95), samples.size() / seconds, tokens / seconds, seconds);
        if (right != sent) {
            System.out.println("FAIL: " + (sent - right) + " answers lost or wrong");
            System.exit(1);
        }
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
}
