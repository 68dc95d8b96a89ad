package dev.casa;

import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.kernels.VectorModule;
import dev.casa.core.safetensors.ModelFileChangedException;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.LoadedWeights;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamilies;
import dev.casa.family.ModelParts;
import dev.casa.image.EncodedImage;
import dev.casa.image.ImageEncoder;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.fusion.Fusion;
import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.prompt.Prompt;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded vision-language (or text) model, whatever its family: our CASA format, Qwen2.5-VL / Qwen2-VL,
 * Llama / Helium / Qwen2 text models. Immutable and safe to share between threads; each {@link Session}
 * (and each call of {@link #describe}) has its own caches and is used by one thread at a time.
 *
 * <p>Exceptions (all unchecked; docs/reliability.md lists the limits behind them):
 * <ul>
 *   <li>{@link ModelFormatException}: the model directory cannot be loaded (a missing or malformed file, a bad
 *       config value, a missing or mis-shaped tensor, a chat template that does not parse); from {@link #load}.</li>
 *   <li>{@link IllegalStateException}: the JVM lacks {@code --add-modules jdk.incubator.vector} ({@link #load});
 *       the model cannot do what was asked (images for a text-only model, text without tokenizer.json).</li>
 *   <li>{@link dev.casa.vision.image.ImageDecodeException}: an image file or stream that cannot be decoded or is
 *       over the pixel limit (the methods taking a {@link Path} to an image).</li>
 *   <li>{@link dev.casa.text.lm.CacheOverflowException} (an {@code IllegalStateException}): the request does not
 *       fit in the session's cache ({@code max_position_embeddings} or the size given to {@link #newSession(int)});
 *       nothing was changed.</li>
 *   <li>{@link ModelFileChangedException}: a weight file changed on disk since it was loaded; reload the model.</li>
 *   <li>{@link dev.casa.text.prompt.jinja.TemplateException}: the chat template failed on this conversation or
 *       went over its budget.</li>
 *   <li>{@link IllegalArgumentException}: a bad argument (a token id out of range, a session size beyond
 *       {@code max_position_embeddings}, text with a lone surrogate, an image the processor refuses).</li>
 * </ul>
 * Generation stops at a stop token, at {@code maxNewTokens}, or when the cache is full
 * ({@link dev.casa.text.generate.StopReason#CACHE_FULL}): the context left bounds every answer.
 */
public final class CasaModel implements AutoCloseable {
    /** Answer length for {@link #describe} when generation_config.json sets none. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    private final Path dir;
    private final ModelParts parts;
    private final ThreadPool pool;
    private final LoadedWeights weights;
    private final QuantizationReport quantization;

    private CasaModel(Path dir, ModelParts parts, ThreadPool pool, LoadedWeights weights, QuantizationReport quantization) {
        this.dir = dir;
        this.parts = parts;
        this.pool = pool;
        this.weights = weights;
        this.quantization = quantization;
    }

    /**
     * Loads a model directory with the shared thread pool.
     *
     * @throws ModelFormatException the directory cannot be loaded (the message names the file and the problem)
     * @throws IllegalStateException the JVM was started without {@code --add-modules jdk.incubator.vector}
     */
    public static CasaModel load(Path dir) {
        return load(dir, ThreadPool.shared());
    }

    /**
     * Loads and validates a model directory: config.json picks the family (by {@code model_type}), which
     * binds the weights and reads the tokenizer, templates and processor configs.
     *
     * @throws ModelFormatException the directory cannot be loaded, naming the file and key or tensor (problems
     *         found by the tokenizer, safetensors, template and image-processor readers are wrapped, their
     *         messages kept)
     * @throws IllegalStateException the JVM was started without {@code --add-modules jdk.incubator.vector}
     */
    public static CasaModel load(Path dir, ThreadPool pool) {
        java.util.Objects.requireNonNull(pool, "pool");
        return load(dir, LoadOptions.defaults().withPool(pool));
    }

    /**
     * Loads and validates a model directory with {@code options}: its thread pool and, if asked, the Linear
     * layers quantized in memory (nothing is written; docs/quantization.md says which tensors).
     *
     * @throws ModelFormatException as {@link #load(Path, ThreadPool)}, and for a weight that cannot be quantized
     *         (not finite), naming it
     * @throws IllegalStateException the JVM was started without {@code --add-modules jdk.incubator.vector}
     */
    public static CasaModel load(Path dir, LoadOptions options) {
        VectorModule.require();
        java.util.Objects.requireNonNull(dir, "dir");
        java.util.Objects.requireNonNull(options, "options");
        try {
            ModelDirectory md = ModelDirectory.open(dir, options);
            ModelParts parts = ModelFamilies.load(md);
            LoadedWeights weights = new LoadedWeights(parts.weights(), md.quantization().quantized());
            return new CasaModel(dir, parts, options.poolOrShared(), weights, md.quantization().report());
        } catch (ModelFormatException e) {
            throw e;
        } catch (dev.casa.text.prompt.jinja.TemplateException e) {
            throw new ModelFormatException(dir + ": chat template: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // TokenizerException, SafetensorsException, image processor and config value errors: one type for "this
            // directory is not a loadable model"; their messages already name the file.
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ModelFormatException(m.contains(dir.toString()) ? m : dir + ": " + m, e);
        }
    }

    public Path directory() { return dir; }

    /** The family's name ({@code casa}, {@code qwen2_5_vl}, {@code llama}, ...). */
    public String family() { return parts.family(); }

    /** One line: family and fusion. */
    public String architecture() { return parts.architecture(); }

    /**
     * The model's tensors as it runs them: memory-mapped from the model directory, except the matrices quantized
     * in memory at load ({@link LoadOptions#quantize}), which this store returns in their block format.
     */
    public TensorStore weights() { return weights; }

    /** The quantization applied at load ({@link Quantization#NONE}: weights as stored, whatever their format). */
    public Quantization quantization() { return quantization.quantization(); }

    /** Which matrices were quantized at load, and which stayed as loaded and why. */
    public QuantizationReport quantizationReport() { return quantization; }

    public TextConfig textConfig() { return parts.languageModel().config(); }

    /** The tokenizer; a model directory without tokenizer.json runs token-id requests only. */
    public Tokenizer tokenizer() {
        if (parts.tokenizer() == null) {
            throw new IllegalStateException(dir.resolve("tokenizer.json") + ": file not found (needed to encode and decode text)");
        }
        return parts.tokenizer();
    }

    public LanguageModel languageModel() { return parts.languageModel(); }

    public PromptBuilder prompts() { return parts.prompts(); }

    public GenerationConfig generationConfig() { return parts.generation(); }

    public ThreadPool pool() { return pool; }

    /** The image pipeline, or null for a text-only model. */
    public ImageEncoder images() { return parts.images(); }

    public boolean hasVision() { return parts.images() != null; }

    /** How images enter the language model (null for a text-only model). */
    public Fusion fusion() { return parts.fusion(); }

    /** Token ids that end a generation (generation_config.json, else config.json, else the EOS token). */
    public int[] eosTokenIds() { return parts.eosTokenIds(); }

    /** The model's generation defaults (generation_config.json), stopping at its EOS ids. */
    public GenerationOptions defaultGenerationOptions() {
        return parts.generation().defaults(DEFAULT_MAX_NEW_TOKENS, parts.eosTokenIds());
    }

    /** The embeddings of one image. */
    public EncodedImage embedImage(RgbImage image) {
        return requireVision().encode(image);
    }

    /** The tokens an encoded image becomes in this model's prompts. */
    public ImageTokens imageTokens(EncodedImage image) {
        requireVision();
        return parts.imageLayout().tokensFor(image);
    }

    private ImageEncoder requireVision() {
        if (parts.images() == null) throw new IllegalStateException("this model has no vision tower: it cannot take images");
        return parts.images();
    }

    /**
     * Checks that the weight files are still the ones loaded (same size and identity): a file truncated or
     * overwritten in place under a memory-mapped model would crash the JVM on the next read (docs/reliability.md).
     * Called before every request and between decode steps.
     *
     * @throws ModelFileChangedException naming the file and the change
     */
    public void checkWeights() {
        weights.checkIntact();
    }

    /**
     * A new conversation or video stream with room for {@code max_position_embeddings} positions. The caches are
     * allocated as the conversation grows (in steps of at least 256 positions), not for the maximum.
     */
    public Session newSession() {
        return new Session(this, textConfig().maxPositionEmbeddings());
    }

    /**
     * A session whose self-attention cache holds at most {@code maxTokens} entries (text, plus image
     * tokens for models whose images enter the cache). It may not exceed {@code max_position_embeddings}.
     *
     * @throws IllegalArgumentException {@code maxTokens} outside {@code [1, max_position_embeddings]}
     */
    public Session newSession(int maxTokens) {
        int max = textConfig().maxPositionEmbeddings();
        if (maxTokens < 1 || maxTokens > max) {
            throw new IllegalArgumentException("session size " + maxTokens + " outside [1, max_position_embeddings=" + max + "]");
        }
        return new Session(this, maxTokens);
    }

    /**
     * Answers {@code prompt} about {@code image} (one user turn, the model's generation defaults), without the
     * answer's leading whitespace.
     *
     * @throws dev.casa.text.lm.CacheOverflowException the prompt does not fit in {@code max_position_embeddings}
     * @throws ModelFileChangedException a weight file changed on disk since the model was loaded
     * @throws dev.casa.text.prompt.jinja.TemplateException the chat template failed or went over its budget
     * @throws IllegalArgumentException text with a lone surrogate, an image the processor refuses
     * @throws IllegalStateException a text-only model, or one without tokenizer.json
     */
    public String describe(RgbImage image, String prompt) {
        return describe(image, prompt, defaultGenerationOptions(), TokenListener.NONE).text().stripLeading();
    }

    /**
     * As {@link #describe(RgbImage, String)}, decoding the image file first.
     *
     * @throws dev.casa.vision.image.ImageDecodeException the file cannot be read or decoded, or is over the pixel limit
     */
    public String describe(Path image, String prompt) {
        return describe(ImageDecoder.decode(image), prompt);
    }

    /**
     * One user turn about {@code image} in a new session, streaming the answer to {@code listener}; exceptions as
     * {@link #describe(RgbImage, String)}.
     */
    public GenerationResult describe(RgbImage image, String prompt, GenerationOptions options, TokenListener listener) {
        Session s = newSession();
        s.addImage(image);
        return s.ask(prompt, options, listener);
    }

    /**
     * The parity computation of {@code casa forward}: logits for {@code tokens} with {@code images}, one row
     * per token (forward-cli.md, hf-models.md). Images attach at {@code insertAt} (models that insert at
     * points) or fill the placeholder ids in order (HF models; {@code insertAt} ignored). {@code prefill}:
     * one pass; otherwise the first {@code prefillTokens} tokens in one pass, then one token at a time
     * through the KV cache (images attached when their point is reached).
     */
    public float[] forward(int[] tokens, List<RgbImage> images, int[] insertAt, boolean prefill, int prefillTokens) {
        checkWeights();
        if (!images.isEmpty()) requireVision();
        if (images.size() != insertAt.length) throw new IllegalArgumentException("one insertion point per image");
        LanguageModel lm = parts.languageModel();
        int vocab = textConfig().vocabSize();
        for (int id : tokens) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " out of range [0, " + vocab + ")");
        }
        List<ImageInput> inputs = new ArrayList<>();
        long imageRows = 0;
        for (int i = 0; i < images.size(); i++) {
            if (insertAt[i] < 0 || insertAt[i] > tokens.length || (i > 0 && insertAt[i] < insertAt[i - 1])) {
                throw new IllegalArgumentException("insert_at of image " + i + " (" + insertAt[i]
                        + ") must be non-decreasing and within [0, " + tokens.length + "]");
            }
            EncodedImage e = embedImage(images.get(i));
            inputs.add(new ImageInput(e.embeddings(), e.tokens(), insertAt[i], e.gridRows(), e.gridCols()));
            imageRows += e.tokens();
        }
        Fusion fusion = parts.fusion();
        boolean rowsForImages = fusion != null && fusion.imagesInKvCache() && !(fusion instanceof dev.casa.text.fusion.PlaceholderFusion);
        DecoderState state = lm.newState(Math.toIntExact(Math.max(1, tokens.length + (rowsForImages ? imageRows : 0))));
        if (prefill) return lm.forward(state, input(tokens, inputs, state), LogitsMode.ALL);
        if (prefillTokens < 0 || prefillTokens > tokens.length) {
            throw new IllegalArgumentException("prefill_tokens " + prefillTokens + " outside [0, " + tokens.length + "]");
        }
        float[] logits = new float[Math.multiplyExact(tokens.length, vocab)];
        int done = 0;
        int next = 0;
        // The prefix in one pass, with every image inserted before its end (or whose placeholders it holds).
        List<ImageInput> first = new ArrayList<>();
        while (next < inputs.size() && (isPlaceholder() || inputs.get(next).insertAt() < prefillTokens
                || (prefillTokens == tokens.length && inputs.get(next).insertAt() == prefillTokens))) {
            first.add(inputs.get(next++));
        }
        if (isPlaceholder()) checkPrefixHoldsImages(tokens, prefillTokens, imageRows);
        int[] prefix = java.util.Arrays.copyOf(tokens, prefillTokens);
        float[] out = lm.forward(state, input(prefix, first, state), LogitsMode.ALL);
        System.arraycopy(out, 0, logits, 0, out.length);
        done = prefillTokens;
        for (int j = done; j < tokens.length; j++) {
            List<ImageInput> here = new ArrayList<>();
            while (next < inputs.size() && inputs.get(next).insertAt() == j) here.add(inputs.get(next++).at(0));
            float[] row = lm.forward(state, input(new int[] {tokens[j]}, here, state), LogitsMode.ALL);
            System.arraycopy(row, 0, logits, j * vocab, vocab);
        }
        if (next < inputs.size()) {
            List<ImageInput> rest = new ArrayList<>();
            while (next < inputs.size()) rest.add(inputs.get(next++).at(0));
            lm.forward(state, input(new int[0], rest, state), LogitsMode.NONE);
        }
        return logits;
    }

    /** The image placeholder id when images fill placeholder tokens (HF-layout models), else empty. */
    public java.util.OptionalInt placeholderTokenId() {
        return parts.fusion() instanceof dev.casa.text.fusion.PlaceholderFusion p
                ? java.util.OptionalInt.of(p.imageTokenId()) : java.util.OptionalInt.empty();
    }

    private boolean isPlaceholder() {
        return parts.fusion() instanceof dev.casa.text.fusion.PlaceholderFusion;
    }

    /** The prefix of a placeholder model's decode must hold every placeholder (it may not cut an image). */
    private void checkPrefixHoldsImages(int[] tokens, int prefillTokens, long imageRows) {
        int id = ((dev.casa.text.fusion.PlaceholderFusion) parts.fusion()).imageTokenId();
        for (int j = prefillTokens; j < tokens.length; j++) {
            if (tokens[j] == id) {
                throw new IllegalArgumentException("prefill_tokens " + prefillTokens + " cuts the image placeholders (token "
                        + j + " is one); decode steps take text tokens only");
            }
        }
    }

    private DecoderInput input(int[] tokens, List<ImageInput> images, DecoderState state) {
        if (images.isEmpty() && !isPlaceholder()) return DecoderInput.tokens(tokens);
        return parts.fusion().input(tokens, images, state);
    }

    /**
     * One stateless chat turn, as an OpenAI-style server needs it: the whole conversation ({@code messages},
     * whose image parts take {@code images} in order) is rendered with the chat template and prefilled in a
     * fresh session of {@code maxTokens} entries, then the answer is generated.
     *
     * @throws IllegalArgumentException {@code maxTokens} outside {@code [1, max_position_embeddings]}, image parts
     *         not matching {@code images}, text with a lone surrogate, an image the processor refuses
     * @throws dev.casa.text.lm.CacheOverflowException the conversation does not fit in {@code maxTokens}
     * @throws ModelFileChangedException a weight file changed on disk since the model was loaded
     * @throws dev.casa.text.prompt.jinja.TemplateException the chat template failed or went over its budget
     * @throws IllegalStateException images for a text-only model, or a model without tokenizer.json
     */
    public GenerationResult chat(List<ChatMessage> messages, List<RgbImage> images, int maxTokens,
                                 GenerationOptions options, TokenListener listener) {
        Session s = newSession(maxTokens);
        return s.complete(messages, images, options, listener);
    }

    /** Builds a prompt for one user turn with {@code images} first, then text. */
    public Prompt prompt(List<EncodedImage> images, String text) {
        List<ImageTokens> tokens = new ArrayList<>();
        for (EncodedImage e : images) tokens.add(imageTokens(e));
        return parts.prompts().build(List.of(ChatMessage.userWithImages(images.size(), text)), tokens);
    }

    @Override
    public void close() {
        weights.close();
    }
}
