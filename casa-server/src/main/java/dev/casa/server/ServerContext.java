package dev.casa.server;

import dev.casa.CasaModel;
import dev.casa.Session;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** What the endpoints share: the model, the settings, the slots, the metrics. */
final class ServerContext implements AutoCloseable {
    final CasaModel model;
    final ServerConfig config;
    final String modelId;
    /** Session size of a chat request. */
    final int contextTokens;
    final GenerationSlots slots;
    final ImageLoader images;
    /** Sessions of running chat requests, for the KV memory gauge. */
    final Set<Session> active = ConcurrentHashMap.newKeySet();
    final LiveStreams streams;
    final Metrics metrics;

    ServerContext(CasaModel model, ServerConfig config) {
        this.model = model;
        this.config = config;
        int max = model.textConfig().maxPositionEmbeddings();
        if (config.contextTokens() > max) {
            throw new IllegalArgumentException("--context " + config.contextTokens() + " exceeds the model's max_position_embeddings " + max);
        }
        this.contextTokens = config.contextTokens() == 0 ? max : config.contextTokens();
        this.modelId = config.modelId() != null ? config.modelId() : model.directory().toAbsolutePath().normalize().getFileName().toString();
        this.slots = new GenerationSlots(config.parallel(), config.queue());
        this.images = new ImageLoader(new AllowedDirs(config.allowDirs()), config.maxImagePixels(), config.maxBodyBytes());
        this.streams = new LiveStreams(this);
        this.metrics = new Metrics(config.parallel(), slots::queued, slots::running, this::kvBytes, streams::size);
    }

    /** Bytes of the caches of running chat sessions and open streams. */
    long kvBytes() {
        long total = 0;
        for (Session s : active) total += s.state().cacheBytes();
        return total + streams.cacheBytes();
    }

    @Override
    public void close() {
        streams.close();
        slots.close();
    }
}
