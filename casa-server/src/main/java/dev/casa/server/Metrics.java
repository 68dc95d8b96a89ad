package dev.casa.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** Counters and gauges for {@code GET /metrics}, in Prometheus' text format (0.0.4). */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    final LongAdder cancelled = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder completionTokens = new LongAdder();
    final LongAdder imageTokens = new LongAdder();
    final LongAdder frames = new LongAdder();
    final DoubleAdder decodeSeconds = new DoubleAdder();
    final DoubleAdder prefillSeconds = new DoubleAdder();
    /** Decode rate of recent generations (exponentially weighted), tokens per second. */
    private volatile double decodeRate;

    private final LongSupplier queueDepth;
    private final LongSupplier running;
    private final LongSupplier kvBytes;
    private final LongSupplier streams;
    private final int parallel;

    Metrics(int parallel, LongSupplier queueDepth, LongSupplier running, LongSupplier kvBytes, LongSupplier streams) {
        this.parallel = parallel;
        this.queueDepth = queueDepth;
        this.running = running;
        this.kvBytes = kvBytes;
        this.streams = streams;
    }

    void request(String route, int status) {
        requests.computeIfAbsent(route + "\u0000" + status, k -> new LongAdder()).increment();
    }

    /** One finished generation: its token counts and times. */
    void generation(int prompt, int completion, int images, long prefillNanos, long decodeNanos) {
        promptTokens.add(prompt);
        completionTokens.add(completion);
        imageTokens.add(images);
        prefillSeconds.add(prefillNanos / 1e9);
        decodeSeconds.add(decodeNanos / 1e9);
        if (decodeNanos > 0 && completion > 1) {
            double rate = (completion - 1) / (decodeNanos / 1e9);
            decodeRate = decodeRate == 0 ? rate : 0.8 * decodeRate + 0.2 * rate;
        }
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        header(sb, "casa_requests_total", "counter", "HTTP requests by route and status.");
        Map<String, Long> sorted = new TreeMap<>();
        requests.forEach((k, v) -> sorted.put(k, v.sum()));
        sorted.forEach((k, v) -> {
            String[] rs = k.split("\u0000");
            sb.append("casa_requests_total{route=\"").append(rs[0]).append("\",status=\"").append(rs[1]).append("\"} ").append(v).append('\n');
        });
        counter(sb, "casa_requests_rejected_total", "Requests refused with 429 because the queue was full.", rejected.sum());
        counter(sb, "casa_requests_cancelled_total", "Generations stopped because the client went away.", cancelled.sum());
        counter(sb, "casa_prompt_tokens_total", "Prompt tokens fed to the model.", promptTokens.sum());
        counter(sb, "casa_completion_tokens_total", "Tokens generated.", completionTokens.sum());
        counter(sb, "casa_image_tokens_total", "Image embedding rows encoded.", imageTokens.sum());
        counter(sb, "casa_stream_frames_total", "Frames captioned through live streams.", frames.sum());
        counterD(sb, "casa_prefill_seconds_total", "Time spent encoding images and prefilling prompts.", prefillSeconds.sum());
        counterD(sb, "casa_decode_seconds_total", "Time spent generating tokens.", decodeSeconds.sum());
        gaugeD(sb, "casa_decode_tokens_per_second", "Decode rate of recent generations (exponentially weighted).", decodeRate);
        gauge(sb, "casa_queue_depth", "Requests waiting for a generation slot.", queueDepth.getAsLong());
        gauge(sb, "casa_generations_running", "Generations running now.", running.getAsLong());
        gauge(sb, "casa_generation_slots", "Generations that may run at once (--parallel).", parallel);
        gauge(sb, "casa_kv_cache_bytes", "Bytes of KV and CASA window caches held by running generations and open streams.", kvBytes.getAsLong());
        gauge(sb, "casa_streams_open", "Live caption streams open.", streams.getAsLong());
        return sb.toString();
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        header(sb, name, "counter", help);
        sb.append(name).append(' ').append(v).append('\n');
    }

    private static void counterD(StringBuilder sb, String name, String help, double v) {
        header(sb, name, "counter", help);
        sb.append(name).append(' ').append(String.format(Locale.ROOT, "%.6f", v)).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, long v) {
        header(sb, name, "gauge", help);
        sb.append(name).append(' ').append(v).append('\n');
    }

    private static void gaugeD(StringBuilder sb, String name, String help, double v) {
        header(sb, name, "gauge", help);
        sb.append(name).append(' ').append(String.format(Locale.ROOT, "%.3f", v)).append('\n');
    }
}
