package dev.casa.bench.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.bench.e2e.MachineState;
import dev.casa.server.CasaServer;
import dev.casa.server.ServerConfig;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A soak of one live caption stream on loopback: {@code frames} frames (default 10,000) through
 * {@code POST /v1/streams/{id}/frames}, sampling the process's resident memory (VmRSS), the heap in
 * use after a full GC and the stream's cache bytes every {@code every} frames. The verdict compares
 * the second half with the first sample after the warm-up. Bounded by the frame count and a 60 s
 * timeout per frame.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx1g -Dframes=10000 \
 *     -cp casa-bench/target/casa-bench.jar dev.casa.bench.serve.StreamSoakBench
 * </pre>
 */
public final class StreamSoakBench {
    public static void main(String[] args) throws Exception {
        int frames = Integer.getInteger("frames", 10_000);
        int every = Integer.getInteger("every", 500);
        Path modelDir = Path.of(System.getProperty("model", DemoFrames.demoRoot().resolve("model").toString()));
        DemoFrames demo = DemoFrames.load();
        ObjectMapper json = new ObjectMapper();
        try (CasaModel model = CasaModel.load(modelDir);
             CasaServer server = CasaServer.start(model, ServerConfig.builder().port(0).build());
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> open = http.send(HttpRequest.newBuilder(server.uri().resolve("/v1/streams"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String id = json.readTree(open.body()).get("id").asText();
            URI frameUri = server.uri().resolve("/v1/streams/" + id + "/frames");
            System.out.printf(Locale.ROOT, "stream soak: %d frames, %s, max heap %d MiB, load average %s%n", frames, model.architecture(),
                    Runtime.getRuntime().maxMemory() >> 20, MachineState.loadAverage());
            System.out.println("frames  seconds  frames/s  rss_MiB  heap_after_gc_MiB  stream_cache_bytes  restarts  right_%");
            long start = System.nanoTime(), windowStart = start;
            int right = 0, windowRight = 0, restarts = 0;
            long firstRss = -1, firstHeap = -1, maxRss = 0, maxHeap = 0, lastBytes = -1, firstBytes = -1;
            for (int i = 1; i <= frames; i++) {
                int k = (i - 1) % demo.size();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(frameUri).timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(demo.images().get(k))).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) throw new IllegalStateException("frame " + i + ": " + r.statusCode() + " " + r.body());
                JsonNode f = json.readTree(r.body());
                if (f.get("caption").asText().equals(demo.answers().get(k))) {
                    right++;
                    windowRight++;
                }
                if (f.get("reset").asBoolean()) restarts++;
                lastBytes = f.get("cache_bytes").asLong();
                if (i % every == 0) {
                    System.gc();
                    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
                    long rss = rssMiB();
                    long now = System.nanoTime();
                    System.out.printf(Locale.ROOT, "%6d  %7.1f  %8.1f  %7d  %17d  %18d  %8d  %7.1f%n", i, (now - start) / 1e9,
                            every / ((now - windowStart) / 1e9), rss, heap, lastBytes, restarts, 100.0 * windowRight / every);
                    windowStart = now;
                    windowRight = 0;
                    if (i == 2 * every) {
                        firstRss = rss;
                        firstHeap = heap;
                        firstBytes = lastBytes;
                    } else if (i > frames / 2) {
                        maxRss = Math.max(maxRss, rss);
                        maxHeap = Math.max(maxHeap, heap);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "after warm-up (frame %d): RSS %d MiB, heap %d MiB, stream cache %d bytes; second half: RSS max %d MiB,"
                            + " heap max %d MiB; stream cache at the end %d bytes; %.1f%% of captions the reference's%n",
                    2 * every, firstRss, firstHeap, firstBytes, maxRss, maxHeap, lastBytes, 100.0 * right / frames);
            http.send(HttpRequest.newBuilder(server.uri().resolve("/v1/streams/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            boolean flat = lastBytes == firstBytes && maxHeap <= firstHeap + 16 && maxRss <= firstRss + 64;
            System.out.println(flat ? "FLAT: stream cache unchanged, heap within 16 MiB, RSS within 64 MiB of the warm-up sample"
                    : "NOT FLAT");
            if (!flat) System.exit(1);
        }
    }

    private static long rssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }
}
