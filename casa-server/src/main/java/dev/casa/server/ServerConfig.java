package dev.casa.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code casa serve} is started with. Defaults are safe for a local server: loopback only, one
 * generation at a time, no local files, bounded bodies, images, queue and streams.
 */
public final class ServerConfig {
    /** The default bind address: loopback only, so nothing off this machine can reach the server. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;

    private final String host;
    private final int port;
    private final int parallel;
    private final int queue;
    private final String apiKey;
    private final List<Path> allowDirs;
    private final long maxBodyBytes;
    private final int maxImages;
    private final long maxImagePixels;
    private final int contextTokens;
    private final int streamContextTokens;
    private final Duration streamIdle;
    private final int maxStreams;
    private final String modelId;

    private ServerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.parallel = b.parallel;
        this.queue = b.queue;
        this.apiKey = b.apiKey;
        this.allowDirs = List.copyOf(b.allowDirs);
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxImages = b.maxImages;
        this.maxImagePixels = b.maxImagePixels;
        this.contextTokens = b.contextTokens;
        this.streamContextTokens = b.streamContextTokens;
        this.streamIdle = b.streamIdle;
        this.maxStreams = b.maxStreams;
        this.modelId = b.modelId;
    }

    public static Builder builder() { return new Builder(); }

    public String host() { return host; }
    public int port() { return port; }
    /** Generations that run at once. */
    public int parallel() { return parallel; }
    /** Requests that may wait for a generation slot; more get 429. */
    public int queue() { return queue; }
    /** The bearer token every endpoint but /health (and the static page) needs; null for none. */
    public String apiKey() { return apiKey; }
    /** Folders whose files a request may name as images; empty: no local files. */
    public List<Path> allowDirs() { return allowDirs; }
    public long maxBodyBytes() { return maxBodyBytes; }
    public int maxImages() { return maxImages; }
    public long maxImagePixels() { return maxImagePixels; }
    /** Session size of a chat request (prompt + answer); 0: the model's max_position_embeddings. */
    public int contextTokens() { return contextTokens; }
    /** Default text budget of a live stream (its session size); a stream starts over when full. */
    public int streamContextTokens() { return streamContextTokens; }
    public Duration streamIdle() { return streamIdle; }
    public int maxStreams() { return maxStreams; }
    /** The model's name in /v1/models and responses; null: the model directory's name. */
    public String modelId() { return modelId; }

    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int parallel = 1;
        private int queue = 16;
        private String apiKey;
        private final List<Path> allowDirs = new ArrayList<>();
        private long maxBodyBytes = 32L << 20;
        private int maxImages = 8;
        private long maxImagePixels = 16L << 20;
        private int contextTokens;
        private int streamContextTokens = 512;
        private Duration streamIdle = Duration.ofMinutes(5);
        private int maxStreams = 16;
        private String modelId;

        public Builder host(String h) { this.host = require(h, "host"); return this; }
        public Builder port(int p) {
            if (p < 0 || p > 65535) throw new IllegalArgumentException("port must be in [0, 65535] (0: any free port), got " + p);
            this.port = p;
            return this;
        }
        public Builder parallel(int n) { this.parallel = positive(n, "parallel"); return this; }
        public Builder queue(int n) {
            if (n < 0) throw new IllegalArgumentException("queue must be >= 0, got " + n);
            this.queue = n;
            return this;
        }
        public Builder apiKey(String key) {
            if (key != null && key.isBlank()) throw new IllegalArgumentException("the API key must not be blank");
            this.apiKey = key;
            return this;
        }
        public Builder allowDir(Path dir) { this.allowDirs.add(dir); return this; }
        public Builder maxBodyBytes(long n) {
            if (n < 1024) throw new IllegalArgumentException("max body must be >= 1024 bytes, got " + n);
            this.maxBodyBytes = n;
            return this;
        }
        public Builder maxImages(int n) { this.maxImages = positive(n, "max images"); return this; }
        public Builder maxImagePixels(long n) {
            if (n < 1) throw new IllegalArgumentException("max image pixels must be >= 1, got " + n);
            this.maxImagePixels = n;
            return this;
        }
        public Builder contextTokens(int n) {
            if (n < 0) throw new IllegalArgumentException("context must be >= 0 (0: the model's), got " + n);
            this.contextTokens = n;
            return this;
        }
        public Builder streamContextTokens(int n) { this.streamContextTokens = positive(n, "stream context"); return this; }
        public Builder streamIdle(Duration d) {
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("stream idle time must be > 0, got " + d);
            this.streamIdle = d;
            return this;
        }
        public Builder maxStreams(int n) { this.maxStreams = positive(n, "max streams"); return this; }
        public Builder modelId(String id) { this.modelId = id; return this; }

        public ServerConfig build() { return new ServerConfig(this); }

        private static int positive(int n, String what) {
            if (n < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + n);
            return n;
        }

        private static String require(String s, String what) {
            if (s == null || s.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
            return s;
        }
    }
}
