package dev.casa;

import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.Generator;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.model.DecoderState;
import dev.casa.text.model.ImageInput;
import dev.casa.text.model.LogitsMode;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.Prompt;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.vision.image.RgbImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation or video stream over one model: add images (video frames), ask, get streamed
 * answers, continue. Each turn feeds only what is new; earlier turns stay in the caches. In CASA
 * mode an image opens a new window and the previous window's image keys are dropped, so memory
 * holds the text plus one window's images however many frames arrive (model-format.md §4.4).
 * Not thread-safe: use a session from one thread at a time.
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
    private TurnStats lastTurn = new TurnStats(0, 0, 0, 0);

    /** What the last {@link #ask} fed and how long it took (image encoding is part of the prefill). */
    public record TurnStats(int promptTokens, int images, long imageNanos, long prefillNanos) {}

    Session(CasaModel model, int maxTokens) {
        this.model = model;
        int perImage = model.hasVision() ? model.tokensPerImage() : 0;
        // In insertion mode images enter the KV cache: budget the same number of entries for them.
        this.state = model.decoder().newState(maxTokens, perImage == 0 ? 0 : maxTokens);
        this.generator = new Generator(model.decoder(), model.tokenizer());
    }

    /** Queues an image (or video frame) for the next user turn. */
    public Session addImage(RgbImage image) {
        if (!model.hasVision()) throw new IllegalStateException("this model has no vision tower: it cannot take images");
        pendingImages.add(image);
        return this;
    }

    /**
     * Sends a user turn (the queued images, then {@code text}) and generates the answer, streaming
     * it to {@code listener}. The answer becomes part of the conversation.
     */
    public GenerationResult ask(String text, GenerationOptions options, TokenListener listener) {
        List<RgbImage> images = List.copyOf(pendingImages);
        pendingImages.clear();
        ChatMessage user = ChatMessage.userWithImages(images.size(), text);
        Prompt delta = deltaFor(user, images.size());
        long start = System.nanoTime();
        float[] logits = feed(delta, images);
        lastTurn = new TurnStats(delta.tokens().length, images.size(), lastImageNanos, System.nanoTime() - start);
        messages.add(user);
        GenerationResult result = generator.generate(state, logits, history, options, listener);
        int[] fed = result.tokens();
        if (result.stopReason() == dev.casa.text.generate.StopReason.STOP_TOKEN) {
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

    /** Greedy answer with the model's defaults. */
    public String ask(String text) {
        return ask(text, model.defaultGenerationOptions(), TokenListener.NONE).text();
    }

    /**
     * The tokens to feed for a new user turn. With a chat template the whole conversation is rendered
     * and the part after what was already fed is encoded; if the template does not extend the fed text
     * (it rewrites earlier turns), the part after the rendered history is used.
     */
    private Prompt deltaFor(ChatMessage user, int images) {
        PromptBuilder prompts = model.prompts();
        List<ChatMessage> all = new ArrayList<>(messages);
        all.add(user);
        if (!prompts.hasChatTemplate()) return prompts.plain(List.of(user), messages.isEmpty());
        String rendered = prompts.render(all, true);
        String delta;
        if (rendered.startsWith(fedText)) {
            delta = rendered.substring(fedText.length());
        } else {
            String previous = messages.isEmpty() ? "" : prompts.render(messages, false);
            delta = rendered.startsWith(previous) ? rendered.substring(previous.length()) : rendered;
        }
        fedText = rendered;
        return prompts.encodeWithPlaceholders(delta, images);
    }

    private float[] feed(Prompt delta, List<RgbImage> images) {
        int[] tokens = delta.tokens();
        int[] points = delta.imageInsertPoints();
        List<ImageInput> inputs = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < images.size(); i++) {
            inputs.add(new ImageInput(model.embedImage(images.get(i)), model.tokensPerImage(), points[i]));
        }
        lastImageNanos = System.nanoTime() - start;
        appendHistory(tokens);
        return model.decoder().forward(state, tokens, inputs, LogitsMode.LAST, progress == null ? null : progress::update);
    }

    private void appendHistory(int[] ids) {
        int n = history.length;
        history = Arrays.copyOf(history, n + ids.length);
        System.arraycopy(ids, 0, history, n, ids.length);
    }

    private long lastImageNanos;

    /** Receives prefill progress: {@code done} of {@code total} prompt tokens. */
    @FunctionalInterface
    public interface PrefillProgress {
        void update(int done, int total);
    }

    private PrefillProgress progress;

    /** Reports prefill progress to {@code listener} (after each prefill chunk of the decoder). */
    public Session onPrefillProgress(PrefillProgress listener) {
        this.progress = listener;
        return this;
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
