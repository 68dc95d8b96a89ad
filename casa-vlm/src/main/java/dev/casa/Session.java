package dev.casa;

import dev.casa.image.EncodedImage;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.Generator;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
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
 * <p>A turn that fails (a full cache, a bad image) leaves the session as it was before the turn. Not
 * thread-safe: use a session from one thread at a time.
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

    /** Reports prefill progress to {@code listener} (after each prefill chunk of the decoder). */
    public Session onPrefillProgress(PrefillProgress listener) {
        this.progress = listener;
        return this;
    }

    /**
     * Sends a user turn (the queued images, then {@code text}) and generates the answer, streaming it to
     * {@code listener}. The answer becomes part of the conversation.
     */
    public GenerationResult ask(String text, GenerationOptions options, TokenListener listener) {
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
     * has fed nothing yet.
     */
    public GenerationResult complete(List<ChatMessage> conversation, List<RgbImage> images, GenerationOptions options,
                                     TokenListener listener) {
        if (!messages.isEmpty() || history.length > 0) throw new IllegalStateException("complete() needs a fresh session");
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
        return model.languageModel().forward(state, input, LogitsMode.LAST, progress == null ? null : progress::update);
    }

    private GenerationResult generate(float[] logits, GenerationOptions options, TokenListener listener) {
        GenerationResult result = generator.generate(state, logits, history, options, listener);
        int[] fed = result.tokens();
        if (result.stopReason() == StopReason.STOP_TOKEN) {
            fed = Arrays.copyOf(fed, fed.length + 1);
            fed[fed.length - 1] = result.stopToken();
        }
        appendHistory(fed);
        messages.add(ChatMessage.assistant(result.text().strip()));
        if (model.prompts().hasChatTemplate()) {
            int known = model.tokenizer().vocabSize();
            fedText += model.tokenizer().decode(Arrays.stream(fed).filter(id -> id < known).toArray(), false);
        }
        return result;
    }

    /** The answer to {@code text} with the model's generation defaults, as the command line prints it. */
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

    /** Every token id fed so far, prompts and answers (stop tokens included), in order. */
    public int[] tokens() { return history.clone(); }

    /** The conversation so far. */
    public List<ChatMessage> messages() { return List.copyOf(messages); }

    /** Number of text tokens fed so far (prompts and answers). */
    public int textTokens() { return state.textTokens(); }
}
