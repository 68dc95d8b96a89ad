package dev.casa.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.vision.image.RgbImage;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Live caption streams ({@code /v1/streams}): each is one CASA session that captions frame after
 * frame with the same prompt. A frame opens a new CASA window, so earlier frames leave nothing in the
 * caches; only the text of the turns (prompt and caption) accumulates. To keep memory flat however
 * many frames arrive, a stream's session is sized to its text budget ({@code context_tokens}) and
 * starts over (same buffers, {@link Session#reset()}) when the next turn might not fit: the captions
 * keep the context of the recent turns, and the cache never grows past the budget.
 */
final class LiveStreams implements AutoCloseable {
    private final ServerContext ctx;
    private final Map<String, LiveStream> streams = new ConcurrentHashMap<>();
    private final ScheduledExecutorService sweeper;

    LiveStreams(ServerContext ctx) {
        this.ctx = ctx;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "casa-stream-expiry");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, Math.min(30, ctx.config.streamIdle().toSeconds() / 4));
        sweeper.scheduleWithFixedDelay(this::expireIdle, period, period, TimeUnit.SECONDS);
    }

    /** What a stream was opened with. */
    record Spec(String prompt, String system, GenerationOptions options, int contextTokens) {}

    /** One open stream. A frame holds its lock; frames of one stream are captioned one at a time. */
    final class LiveStream {
        final String id;
        final Spec spec;
        final Session session;
        final ReentrantLock lock = new ReentrantLock();
        final long created = System.currentTimeMillis() / 1000;
        volatile long lastUsedNanos = System.nanoTime();
        long frames;
        long resets;
        /** The largest prompt a turn fed so far, to decide when to start over. */
        int largestPrompt;

        LiveStream(String id, Spec spec) {
            this.id = id;
            this.spec = spec;
            this.session = ctx.model.newSession(spec.contextTokens());
            if (spec.system() != null) session.system(spec.system());
        }

        /** Captions one frame (in a generation slot, with the lock held). */
        Caption caption(RgbImage frame, TokenListener listener) {
            int budget = spec.contextTokens();
            int fed = session.state().selfAttentionKvEntries();
            boolean reset = false;
            // Room for the turn's prompt, the longest caption and its stop token, or start over.
            if (fed > 0 && (long) fed + largestPrompt + spec.options().maxNewTokens() + 1 > budget) {
                startOver();
                reset = true;
            }
            GenerationResult r;
            try {
                session.addImage(frame);
                r = session.ask(spec.prompt(), spec.options(), listener);
            } catch (CacheOverflowException e) {
                if (reset || fed == 0) {
                    throw ApiException.invalid("context_tokens", "context_length_exceeded", "One caption turn does not fit in the stream's "
                            + budget + " tokens; open the stream with a larger context_tokens or a smaller max_tokens.");
                }
                startOver();
                reset = true;
                session.addImage(frame);
                r = session.ask(spec.prompt(), spec.options(), listener);
            }
            Session.TurnStats turn = session.lastTurn();
            largestPrompt = Math.max(largestPrompt, turn.promptTokens());
            frames++;
            lastUsedNanos = System.nanoTime();
            ctx.metrics.frames.increment();
            ctx.metrics.generation(turn.promptTokens(), r.tokens().length, turn.imageTokens(), turn.prefillNanos(), r.decodeNanos());
            return new Caption(frames, r, turn, r.text().strip(), reset, session.state().cacheBytes(), session.state().selfAttentionKvEntries());
        }

        private void startOver() {
            session.reset();
            if (spec.system() != null) session.system(spec.system());
            resets++;
        }

        ObjectNode describe() {
            ObjectNode o = Json.object();
            o.put("id", id).put("object", "stream").put("created", created).put("model", ctx.modelId);
            o.put("prompt", spec.prompt());
            if (spec.system() != null) o.put("system", spec.system());
            o.put("max_tokens", spec.options().maxNewTokens()).put("context_tokens", spec.contextTokens());
            o.put("frames", frames).put("resets", resets).put("cache_bytes", session.state().cacheBytes());
            o.put("expires_after_idle_seconds", ctx.config.streamIdle().toSeconds());
            return o;
        }
    }

    /** One frame's caption. */
    record Caption(long frame, GenerationResult result, Session.TurnStats turn, String text, boolean reset, long cacheBytes, int textTokens) {}

    /** {@code POST /v1/streams} body: prompt, system, max_tokens, temperature, top_p, seed, stop, context_tokens. */
    Spec parse(JsonNode body) {
        if (!body.isObject()) throw ApiException.invalid(null, "invalid_type", "The request body must be a JSON object.");
        Set<String> known = Set.of("prompt", "system", "max_tokens", "temperature", "top_p", "seed", "stop", "context_tokens", "model");
        body.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) throw ApiException.invalid(f, "unknown_parameter", "Unrecognized request argument supplied: " + f);
        });
        Params.string(body, "model", "model");
        String prompt = Params.string(body, "prompt", "prompt");
        if (prompt == null) prompt = "Describe the image.";
        String system = Params.string(body, "system", "system");
        int max = ctx.model.textConfig().maxPositionEmbeddings();
        Integer budget = Params.integer(body, "context_tokens", "context_tokens", 16, max);
        int context = budget != null ? budget : Math.min(ctx.config.streamContextTokens(), max);
        Integer maxTokens = Params.integer(body, "max_tokens", "max_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens != null && maxTokens >= context) {
            throw ApiException.invalid("max_tokens", "context_length_exceeded", "max_tokens is " + maxTokens
                    + ", but the stream's context is " + context + " tokens (prompt and caption together).");
        }
        int answer = maxTokens != null ? maxTokens : Math.min(Generation.defaultMaxTokens(ctx.model, context), context / 2);
        ChatRequest.Sampling sampling = new ChatRequest.Sampling(Params.number(body, "temperature", "temperature", 0, 2),
                Params.number(body, "top_p", "top_p", 0, 1), Params.longValue(body, "seed", "seed", Long.MIN_VALUE, Long.MAX_VALUE));
        GenerationOptions options = Generation.options(ctx.model, sampling, answer, Params.stop(body, "stop"));
        return new Spec(prompt, system, options, context);
    }

    LiveStream open(Spec spec) {
        if (!ctx.model.hasVision()) throw ApiException.invalid(null, "images_not_supported", "This model takes no images (it has no vision tower).");
        if (streams.size() >= ctx.config.maxStreams()) {
            throw ApiException.busy("This server has " + streams.size() + " open streams, its limit; close one (DELETE /v1/streams/{id}) or wait until one expires.",
                    Math.max(1, ctx.config.streamIdle().toSeconds()));
        }
        String id = "stream-" + UUID.randomUUID().toString().replace("-", "");
        LiveStream s = new LiveStream(id, spec);
        streams.put(id, s);
        return s;
    }

    LiveStream get(String id) {
        LiveStream s = streams.get(id);
        if (s == null) throw ApiException.notFound("stream_not_found", "No open stream with id '" + id + "' (it may have expired or been closed).");
        return s;
    }

    /** Closes a stream; its running frame, if any, finishes first. */
    boolean close(String id) {
        return streams.remove(id) != null;
    }

    int size() { return streams.size(); }

    Collection<LiveStream> all() { return streams.values(); }

    long cacheBytes() {
        long total = 0;
        for (LiveStream s : streams.values()) total += s.session.state().cacheBytes();
        return total;
    }

    /** Closes the streams that were not used for the idle time (not those captioning a frame now). */
    void expireIdle() {
        long limit = ctx.config.streamIdle().toNanos();
        long now = System.nanoTime();
        for (Iterator<LiveStream> it = streams.values().iterator(); it.hasNext(); ) {
            LiveStream s = it.next();
            if (now - s.lastUsedNanos > limit && s.lock.tryLock()) {
                try {
                    it.remove();
                } finally {
                    s.lock.unlock();
                }
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        streams.clear();
    }
}
