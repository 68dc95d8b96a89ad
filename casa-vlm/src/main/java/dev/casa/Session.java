package dev.casa;

import dev.casa.image.EncodedImage;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.Generator;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.prompt.Prompt;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.vision.image.RgbImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation or video stream over one model: add images (video frames), ask, get streamed answers,
 * continue. Each turn feeds only what is new; earlier turns stay in the caches. With CASA fusion an image
 * opens a new window and the previous window's image keys are dropped, so memory holds the text plus one
 * window's images however many frames arrive (model-format.md §4.4).
 *
 * <p>A turn that fails before its answer starts (the turn does not fit in the cache, the template fails, an image is
 * refused, a weight file changed) leaves the session exactly as it was before the turn: its messages, its
 * {@link #tokens()}, its caches and its queued images. The caches cannot be rolled back once the answer has started:
 * a failure during the answer (the listener throws, a weight file changes) keeps the answer tokens fed so far as
 * the assistant's message, so that {@link #tokens()} still lists exactly what the caches hold and the conversation
 * can go on. An answer stopped by a full cache ({@link StopReason#CACHE_FULL}) leaves a session that cannot take
 * another turn (it fails with a {@link CacheOverflowException}, changing nothing). A failure in the middle of a
 * long prefill, after the caches took its first chunks (a {@link PrefillProgress} listener that throws, an
 * {@code OutOfMemoryError}), leaves caches that match no conversation: later turns throw an
 * {@link IllegalStateException} saying so. Not thread-safe: use a session from one thread at a time.
 */
public final class Session {
    private final CasaModel model;
    private final DecoderState state;
    private final Generator generator;
    private final List<ChatMessage> messages = new ArrayList<>();
    private final List<RgbImage> pendingImages = new ArrayList<>();
    /** Ids fed so far (prompt and generated), for the repetition penalty. */
    private int[] history = new int[0];
    /** With a chat template: the rendered text that corresponds to everything fed so far. */
    private String fedText = "";
    private TurnStats lastTurn = new TurnStats(0, 0, 0, 0, 0);
    private PrefillProgress progress;
    /** Why the session cannot go on (a turn failed after the caches took part of it), or null. */
    private String unusable;

    /**
     * What the last turn fed and how long it took (image encoding is part of the prefill).
     * {@code imageTokens}: the embedding rows of its images (part of {@code promptTokens} only for
     * models whose images fill placeholder tokens; CASA images are attended to, not fed).
     */
    public record TurnStats(int promptTokens, int images, int imageTokens, long imageNanos, long prefillNanos) {}

    /** Receives prefill progress: {@code done} of {@code total} prompt rows. */
    @FunctionalInterface
    public interface PrefillProgress {
        void update(int done, int total);
    }

    Session(CasaModel model, int maxTokens) {
        this.model = model;
        this.state = model.languageModel().newState(maxTokens);
        this.generator = new Generator(model.languageModel(), model.tokenizer());
    }

    /** Sets the system message; only before the first turn. */
    public Session system(String text) {
        if (!messages.isEmpty()) throw new IllegalStateException("the system message must come before the first turn");
        messages.add(ChatMessage.system(text));
        return this;
    }

    /** Queues an image (or video frame) for the next user turn. */
    public Session addImage(RgbImage image) {
        if (!model.hasVision()) throw new IllegalStateException("this model has no vision tower: it cannot take images");
        pendingImages.add(image);
        return this;
    }

    /**
     * Reports prefill progress to {@code listener} (after each prefill chunk of the decoder). A listener that throws
     * stops the turn after the caches took part of it: the session cannot go on (see the class comment).
     */
    public Session onPrefillProgress(PrefillProgress listener) {
        this.progress = listener;
        return this;
    }

    /**
     * Sends a user turn (the queued images, then {@code text}) and generates the answer, streaming it to
     * {@code listener}. The answer becomes part of the conversation. Generation stops at a stop token, after
     * {@code options.maxNewTokens()} tokens, or when the cache is full ({@link StopReason#CACHE_FULL}): the context
     * left bounds the answer whatever the limit.
     *
     * @throws CacheOverflowException the turn does not fit in the cache; the session is unchanged
     * @throws dev.casa.core.safetensors.ModelFileChangedException a weight file changed on disk since the model was loaded
     * @throws dev.casa.text.prompt.jinja.TemplateException the chat template failed or went over its budget
     * @throws IllegalArgumentException text with a lone surrogate, an image the processor refuses
     * @throws IllegalStateException a model without tokenizer.json; a session left unusable by a turn that failed
     *         halfway through its prefill
     */
    public GenerationResult ask(String text, GenerationOptions options, TokenListener listener) {
        checkUsable();
        model.checkWeights();
        List<RgbImage> images = List.copyOf(pendingImages);
        long start = System.nanoTime();
        List<EncodedImage> encoded = new ArrayList<>();
        for (RgbImage img : images) encoded.add(model.embedImage(img));
        long imageNanos = System.nanoTime() - start;
        ChatMessage user = ChatMessage.userWithImages(images.size(), text);
        List<ImageTokens> layouts = new ArrayList<>();
        for (EncodedImage e : encoded) layouts.add(model.imageTokens(e));
        Turn turn = deltaFor(user, layouts);
        Prompt delta = turn.prompt();
        // Everything above can fail without touching the session.
        float[] logits = prefill(delta, encoded);
        pendingImages.clear();
        lastTurn = new TurnStats(delta.tokens().length, images.size(), imageRows(encoded), imageNanos, System.nanoTime() - start);
        messages.add(user);
        fedText = turn.renderedAfter();
        appendHistory(delta.tokens());
        return generate(logits, options, listener);
    }

    /**
     * Feeds a whole conversation at once into a new session (its image parts take {@code images} in order;
     * the last message is usually the user's) and generates the assistant's answer. Only on a session that
     * has fed nothing yet. Exceptions as {@link #ask(String, GenerationOptions, TokenListener)}; also
     * {@link IllegalArgumentException} for image parts not matching {@code images} and {@link IllegalStateException}
     * on a session that has fed something, or images for a text-only model.
     */
    public GenerationResult complete(List<ChatMessage> conversation, List<RgbImage> images, GenerationOptions options,
                                     TokenListener listener) {
        checkUsable();
        if (!messages.isEmpty() || history.length > 0) throw new IllegalStateException("complete() needs a fresh session");
        model.checkWeights();
        int parts = 0;
        for (ChatMessage m : conversation) parts += m.imageCount();
        if (parts != images.size()) throw new IllegalArgumentException(parts + " image parts for " + images.size() + " images");
        if (!images.isEmpty() && !model.hasVision()) throw new IllegalStateException("this model has no vision tower: it cannot take images");
        long start = System.nanoTime();
        List<EncodedImage> encoded = new ArrayList<>();
        List<ImageTokens> layouts = new ArrayList<>();
        for (RgbImage img : images) {
            EncodedImage e = model.embedImage(img);
            encoded.add(e);
            layouts.add(model.imageTokens(e));
        }
        long imageNanos = System.nanoTime() - start;
        PromptBuilder prompts = model.prompts();
        Prompt prompt;
        String rendered = "";
        if (prompts.hasChatTemplate()) {
            rendered = prompts.render(conversation, true);
            prompt = prompts.encode(rendered, layouts);
        } else {
            prompt = prompts.plain(conversation, true, layouts);
        }
        float[] logits = prefill(prompt, encoded);
        lastTurn = new TurnStats(prompt.tokens().length, images.size(), imageRows(encoded), imageNanos, System.nanoTime() - start);
        messages.addAll(conversation);
        fedText = rendered;
        appendHistory(prompt.tokens());
        return generate(logits, options, listener);
    }

    private static int imageRows(List<EncodedImage> encoded) {
        int n = 0;
        for (EncodedImage e : encoded) n += e.tokens();
        return n;
    }

    /**
     * Forgets the conversation (system message, turns, queued images) but keeps the cache buffers, so
     * a long-running stream can start over without allocating: its memory stays what it was.
     */
    public Session reset() {
        state.clear();
        messages.clear();
        pendingImages.clear();
        history = new int[0];
        fedText = "";
        lastTurn = new TurnStats(0, 0, 0, 0, 0);
        return this;
    }

    private float[] prefill(Prompt prompt, List<EncodedImage> encoded) {
        int[] tokens = prompt.tokens();
        int[] points = prompt.imageInsertPoints();
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < encoded.size(); i++) {
            EncodedImage e = encoded.get(i);
            inputs.add(new ImageInput(e.embeddings(), e.tokens(), Math.max(0, points[i]), e.gridRows(), e.gridCols()));
        }
        DecoderInput input = inputs.isEmpty() && model.fusion() == null ? DecoderInput.tokens(tokens)
                : model.fusion().input(tokens, inputs, state);
        // The forward call checks its capacity before it changes the state.
        int[] before = position();
        try {
            return model.languageModel().forward(state, input, LogitsMode.LAST, progress == null ? null : progress::update);
        } catch (RuntimeException | Error e) {
            // After the caches took part of the turn (a progress listener that throws, an OutOfMemoryError in a
            // later chunk) they no longer match the conversation, and cannot be rolled back.
            if (!Arrays.equals(before, position())) unusable = "a turn failed halfway through its prefill (" + e + ")";
            throw e;
        }
    }

    /** Where the caches stand: a prefill that changed any of these has fed part of its turn. */
    private int[] position() {
        return new int[] {state.selfAttentionKvEntries(), state.textTokens(), state.nextPosition(),
            state.imagesInCurrentWindow(), state.windowStart(), state.windowImageKeys(), state.windowTextKeys()};
    }

    private void checkUsable() {
        if (unusable != null) throw new IllegalStateException("this session cannot go on: " + unusable + "; start a new session");
    }

    private GenerationResult generate(float[] logits, GenerationOptions options, TokenListener listener) {
        int textBefore = state.textTokens();
        int[][] streamed = {new int[16]};
        int[] count = {0};
        // Each token is checked against a weight file changed under the mapping before the next decode step reads it.
        TokenListener checked = new TokenListener() {
            @Override
            public void onToken(int id, String piece) {
                if (id >= 0) {
                    if (count[0] == streamed[0].length) streamed[0] = Arrays.copyOf(streamed[0], 2 * count[0]);
                    streamed[0][count[0]++] = id;
                }
                listener.onToken(id, piece);
                model.checkWeights();
            }

            @Override
            public boolean cancelled() {
                return listener.cancelled();
            }
        };
        GenerationResult result;
        try {
            result = generator.generate(state, logits, history, options, checked);
        } catch (RuntimeException | Error e) {
            // The caches cannot be rolled back: they hold the answer tokens fed before the failure. Keep those
            // as the (partial) answer so that the history matches the caches and the conversation can go on.
            int[] fed = Arrays.copyOf(streamed[0], state.textTokens() - textBefore);
            recordAnswer(fed, model.tokenizer().decode(known(fed), true));
            throw e;
        }
        int[] answer = result.tokens();
        if (result.stopReason() == StopReason.STOP_TOKEN) {
            answer = Arrays.copyOf(answer, answer.length + 1);
            answer[answer.length - 1] = result.stopToken();
        }
        // Only what entered the caches: a generation cut by a full cache produced one last token it could not
        // feed (and a stop token finding the cache full is not fed either).
        recordAnswer(Arrays.copyOf(answer, state.textTokens() - textBefore), result.text());
        return result;
    }

    private void recordAnswer(int[] fed, String text) {
        appendHistory(fed);
        messages.add(ChatMessage.assistant(text.strip()));
        if (model.prompts().hasChatTemplate()) fedText += model.tokenizer().decode(known(fed), false);
    }

    /** Ids the tokenizer defines (a padding row of the embedding has no text). */
    private int[] known(int[] ids) {
        int known = model.tokenizer().vocabSize();
        return Arrays.stream(ids).filter(id -> id < known).toArray();
    }

    /**
     * The answer to {@code text} with the model's generation defaults, as the command line prints it (without the
     * leading space a template's {@code "Assistant:"} leaves to the model). Exceptions as
     * {@link #ask(String, GenerationOptions, TokenListener)}.
     */
    public String ask(String text) {
        return ask(text, model.defaultGenerationOptions(), TokenListener.NONE).text().stripLeading();
    }

    private record Turn(Prompt prompt, String renderedAfter) {}

    /**
     * The tokens to feed for a new user turn. With a chat template the whole conversation is rendered and
     * the part after what was already fed is encoded; if the template does not extend the fed text (it
     * rewrites earlier turns), the part after the rendered history is used.
     */
    private Turn deltaFor(ChatMessage user, List<ImageTokens> images) {
        PromptBuilder prompts = model.prompts();
        List<ChatMessage> all = new ArrayList<>(messages);
        all.add(user);
        if (!prompts.hasChatTemplate()) {
            boolean first = messages.stream().noneMatch(m -> m.role().equals("user"));
            List<ChatMessage> turn = new ArrayList<>();
            if (first) turn.addAll(messages); // a system message before the first turn
            turn.add(user);
            return new Turn(prompts.plain(turn, first, images), "");
        }
        String rendered = prompts.render(all, true);
        String delta;
        if (rendered.startsWith(fedText)) {
            delta = rendered.substring(fedText.length());
        } else {
            String previous = messages.isEmpty() ? "" : prompts.render(messages, false);
            delta = rendered.startsWith(previous) ? rendered.substring(previous.length()) : rendered;
        }
        return new Turn(prompts.encode(delta, images), rendered);
    }

    private void appendHistory(int[] ids) {
        int n = history.length;
        history = Arrays.copyOf(history, n + ids.length);
        System.arraycopy(ids, 0, history, n, ids.length);
    }

    /** Timings and sizes of the last turn. */
    public TurnStats lastTurn() { return lastTurn; }

    /** The decoder caches of this session (for inspection: sizes, windows). */
    public DecoderState state() { return state; }

    /**
     * Every token id fed so far, prompts and answers (stop tokens included), in order: exactly what the caches
     * hold. An answer cut by a full cache ({@link StopReason#CACHE_FULL}) ends with a token that was generated but
     * not fed: it is in the answer's text and {@link GenerationResult#tokens()}, not here.
     */
    public int[] tokens() { return history.clone(); }

    /** The conversation so far. */
    public List<ChatMessage> messages() { return List.copyOf(messages); }

    /** Number of text tokens fed so far (prompts and answers). */
    public int textTokens() { return state.textTokens(); }
}
