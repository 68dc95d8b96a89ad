package dev.casa.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.vision.image.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/chat/completions}: each request is one stateless conversation, rendered with the
 * model's chat template and prefilled into a fresh session sized to the server's context, then
 * answered (streamed as {@code chat.completion.chunk} events, or whole).
 */
final class ChatCompletions {
    private final ServerContext ctx;

    ChatCompletions(ServerContext ctx) {
        this.ctx = ctx;
    }

    /** What a finished generation reports. */
    record Outcome(GenerationResult result, Session.TurnStats turn, String text) {}

    void handle(Exchange ex) throws Exception {
        ChatRequest req = ChatRequest.parse(ex.json(ctx.config.maxBodyBytes()));
        int context = ctx.contextTokens;
        if (req.images().size() > ctx.config.maxImages()) {
            throw ApiException.invalid("messages", "too_many_images", "The request has " + req.images().size()
                    + " images; this server takes at most " + ctx.config.maxImages() + " per request.");
        }
        if (!req.images().isEmpty() && !ctx.model.hasVision()) {
            throw ApiException.invalid(req.images().get(0).param(), "images_not_supported", "This model takes no images (it has no vision tower).");
        }
        if (req.maxTokens() != null && req.maxTokens() >= context) {
            throw ApiException.invalid("max_tokens", "context_length_exceeded", "max_tokens is " + req.maxTokens()
                    + ", but this model's context is " + context + " tokens (prompt and answer together).");
        }
        List<byte[]> images = new ArrayList<>();
        for (ChatRequest.ImageRef ref : req.images()) images.add(ctx.images.read(ref.param(), ref.url()));
        int maxTokens = req.maxTokens() != null ? req.maxTokens() : Generation.defaultMaxTokens(ctx.model, context);
        GenerationOptions chosen = Generation.options(ctx.model, req.sampling(), maxTokens, req.stop());
        GenerationOptions options = req.ignoreEos() ? chosen.withStopTokens(new int[0]) : chosen;
        ClientWatch watch = ClientWatch.of(ex.request);
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;

        if (!req.stream()) {
            Outcome o = ctx.slots.run(() -> generate(req, images, options, watch, TokenListener.NONE), watch);
            ObjectNode body = Json.object();
            body.put("id", id).put("object", "chat.completion").put("created", created).put("model", ctx.modelId);
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("index", 0);
            choice.putObject("message").put("role", "assistant").put("content", o.text());
            choice.putNull("logprobs");
            choice.put("finish_reason", Generation.finishReason(o.result().stopReason()));
            body.set("usage", usage(o));
            ex.sendJson(200, body);
            return;
        }

        Exchange.Sse sse = ex.new Sse(watch);
        StreamingAnswer answer = new StreamingAnswer(sse, watch, id, created);
        Outcome o;
        try {
            o = ctx.slots.run(() -> generate(req, images, options, watch, answer), watch);
        } catch (ApiException e) {
            if (!sse.started()) throw e;
            sse.error(e);
            sse.done();
            return;
        }
        answer.begin();
        ObjectNode last = answer.chunk();
        ObjectNode choice = last.putArray("choices").addObject();
        choice.put("index", 0).putObject("delta");
        choice.putNull("logprobs");
        choice.put("finish_reason", Generation.finishReason(o.result().stopReason()));
        sse.event(Json.string(last));
        if (req.includeUsage()) {
            ObjectNode u = answer.chunk();
            u.putArray("choices");
            u.set("usage", usage(o));
            sse.event(Json.string(u));
        }
        sse.done();
    }

    /** Runs in a generation slot. */
    private Outcome generate(ChatRequest req, List<byte[]> encoded, GenerationOptions options, ClientWatch watch,
                             TokenListener sink) {
        List<RgbImage> images = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i++) images.add(ctx.images.decode(req.images().get(i).param(), encoded.get(i)));
        int context = ctx.contextTokens;
        Session session = ctx.model.newSession(context);
        Integer requested = req.maxTokens();
        session.onPrefillProgress((done, total) -> {
            if (watch.gone()) throw new GenerationSlots.ClientGone();
            if (requested != null && (long) total + requested > context) throw contextExceeded(total, requested, context);
        });
        ctx.active.add(session);
        try {
            GenerationResult r = session.complete(req.messages(), images, options, new TokenListener() {
                @Override
                public void onToken(int id, String text) { sink.onToken(id, text); }

                @Override
                public boolean cancelled() { return watch.gone(); }
            });
            Session.TurnStats turn = session.lastTurn();
            ctx.metrics.generation(turn.promptTokens(), r.tokens().length, turn.imageTokens(), turn.prefillNanos(), r.decodeNanos());
            if (watch.gone()) throw new GenerationSlots.ClientGone();
            return new Outcome(r, turn, r.text().stripLeading());
        } catch (CacheOverflowException e) {
            throw ApiException.invalid("messages", "context_length_exceeded",
                    "The prompt does not fit in this model's context of " + context + " tokens (" + e.getMessage() + ").");
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("messages", "invalid_prompt", e.getMessage());
        } finally {
            ctx.active.remove(session);
        }
    }

    static ApiException contextExceeded(int prompt, int completion, int context) {
        return ApiException.invalid("max_tokens", "context_length_exceeded", "This model's maximum context length is " + context
                + " tokens. However, you requested " + ((long) prompt + completion) + " tokens (" + prompt + " in the messages, "
                + completion + " in the completion). Please reduce the length of the messages or completion.");
    }

    /**
     * OpenAI's usage. {@code prompt_tokens} counts what the prompt put in the context; image tokens are
     * part of it only for models whose images fill placeholder tokens (Qwen2-VL style). A CASA model's
     * images are attended to through its CASA layers and take no context: there {@code image_tokens}
     * is reported beside {@code text_tokens}, not inside {@code prompt_tokens}.
     */
    private ObjectNode usage(Outcome o) {
        ObjectNode u = Json.object();
        int prompt = o.turn().promptTokens(), completion = o.result().tokens().length, images = o.turn().imageTokens();
        int text = ctx.model.placeholderTokenId().isPresent() ? prompt - images : prompt;
        u.put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", 0).put("text_tokens", text).put("image_tokens", images);
        return u;
    }

    /** The token listener of a streamed answer: one chunk per piece of text, leading whitespace dropped. */
    private final class StreamingAnswer implements TokenListener {
        private final Exchange.Sse sse;
        private final ClientWatch watch;
        private final String id;
        private final long created;
        private boolean begun;
        private boolean leading = true;

        StreamingAnswer(Exchange.Sse sse, ClientWatch watch, String id, long created) {
            this.sse = sse;
            this.watch = watch;
            this.id = id;
            this.created = created;
        }

        ObjectNode chunk() {
            ObjectNode c = Json.object();
            c.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", ctx.modelId);
            return c;
        }

        /** The first chunk: the assistant's role. */
        void begin() {
            if (begun) return;
            begun = true;
            ObjectNode c = chunk();
            ObjectNode choice = c.putArray("choices").addObject();
            choice.put("index", 0).putObject("delta").put("role", "assistant").put("content", "");
            choice.putNull("logprobs");
            choice.putNull("finish_reason");
            sse.event(Json.string(c));
        }

        @Override
        public void onToken(int tokenId, String text) {
            if (watch.gone()) return;
            if (leading) {
                text = text.stripLeading();
                if (text.isEmpty()) return;
                leading = false;
            }
            try {
                begin();
                ObjectNode c = chunk();
                ArrayNode choices = c.putArray("choices");
                ObjectNode choice = choices.addObject();
                choice.put("index", 0).putObject("delta").put("content", text);
                choice.putNull("logprobs");
                choice.putNull("finish_reason");
                sse.event(Json.string(c));
            } catch (GenerationSlots.ClientGone e) {
                // The client is marked gone: the generator stops at its next check.
            }
        }
    }

}
