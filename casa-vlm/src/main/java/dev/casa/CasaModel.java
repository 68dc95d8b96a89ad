package dev.casa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.model.CasaConfig;
import dev.casa.text.model.Decoder;
import dev.casa.text.model.DecoderState;
import dev.casa.text.model.GenerationConfig;
import dev.casa.text.model.ImageInput;
import dev.casa.text.model.LogitsMode;
import dev.casa.text.model.ModelFormatException;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.VisionEncoder;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.ImagePreprocessor;
import dev.casa.vision.image.PreprocessorConfig;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A loaded CASA vision-language model: config, tokenizer, weights (memory-mapped), vision encoder
 * and decoder. Immutable and safe to share between threads; each {@link Session} (and each call of
 * {@link #describe}) has its own caches and must be used by one thread at a time.
 */
public final class CasaModel implements AutoCloseable {
    /** Default answer length for {@link #describe}. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    private final Path dir;
    private final CasaConfig config;
    private final TensorStore weights;
    private final Tokenizer tokenizer;
    private final TokenizerConfig tokenizerConfig;
    private final GenerationConfig generationConfig;
    private final Decoder decoder;
    private final VisionEncoder vision;
    private final ImagePreprocessor preprocessor;
    private final PromptBuilder prompts;
    private final int[] eosTokenIds;
    private final ThreadPool pool;

    private CasaModel(Path dir, CasaConfig config, TensorStore weights, Tokenizer tokenizer,
                      TokenizerConfig tokenizerConfig, GenerationConfig generationConfig, Decoder decoder,
                      VisionEncoder vision, ImagePreprocessor preprocessor, ThreadPool pool) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.tokenizerConfig = tokenizerConfig;
        this.generationConfig = generationConfig;
        this.decoder = decoder;
        this.vision = vision;
        this.preprocessor = preprocessor;
        this.pool = pool;
        this.eosTokenIds = eosIds(config, generationConfig, tokenizerConfig, tokenizer);
        int bos = config.text().bosTokenId() != null ? config.text().bosTokenId() : -1;
        this.prompts = new PromptBuilder(tokenizerConfig.chatTemplate(), text -> tokenizer.encode(text, false),
                tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), bos,
                config.preImageTokens(), config.postImageTokens());
    }

    /** Loads a model directory (model-format.md §1) with the shared thread pool. */
    public static CasaModel load(Path dir) {
        return load(dir, ThreadPool.shared());
    }

    /**
     * Loads and validates a model directory: config.json, the weights (single file or shards),
     * tokenizer.json, and when present tokenizer_config.json, generation_config.json and, for a model
     * with a vision tower, preprocessor_config.json. Problems are reported as
     * {@link ModelFormatException} (or the loader's own exception type) naming the file and key.
     */
    public static CasaModel load(Path dir, ThreadPool pool) {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a model directory");
        CasaConfig config = CasaConfig.load(dir);
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (!Files.exists(tokenizerFile)) throw new ModelFormatException(tokenizerFile + ": file not found (a model directory needs tokenizer.json)");
        Tokenizer tokenizer = Tokenizer.fromFile(tokenizerFile);
        if (tokenizer.vocabSize() > config.text().vocabSize()) {
            throw new ModelFormatException(tokenizerFile + ": the tokenizer defines " + tokenizer.vocabSize()
                    + " ids but text_config.vocab_size is " + config.text().vocabSize());
        }
        TokenizerConfig tokenizerConfig = TokenizerConfig.load(dir);
        GenerationConfig generationConfig = Files.exists(dir.resolve("generation_config.json"))
                ? GenerationConfig.load(dir) : GenerationConfig.empty();
        TensorStore store = ModelWeights.open(dir);
        try {
            Decoder decoder = Decoder.load(config, store, pool);
            VisionEncoder vision = null;
            ImagePreprocessor preprocessor = null;
            if (config.hasVision()) {
                vision = VisionEncoder.load(readJson(dir.resolve("config.json")), store, pool);
                Path pre = dir.resolve("preprocessor_config.json");
                if (!Files.exists(pre)) throw new ModelFormatException(pre + ": file not found (needed by a model with a vision tower)");
                preprocessor = new ImagePreprocessor(PreprocessorConfig.load(pre));
                int d = config.text().hiddenSize();
                if (vision.embeddingSize() != d) {
                    throw new ModelFormatException(dir.resolve("config.json") + ": the projector outputs " + vision.embeddingSize()
                            + " features but text_config.hidden_size is " + d);
                }
            }
            return new CasaModel(dir, config, store, tokenizer, tokenizerConfig, generationConfig, decoder,
                    vision, preprocessor, pool);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static int[] eosIds(CasaConfig config, GenerationConfig gen, TokenizerConfig tc, Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>(gen.eosTokenIds());
        if (ids.isEmpty() && config.text().eosTokenIds() != null) ids.addAll(config.text().eosTokenIds());
        if (ids.isEmpty() && tc.eosToken() != null) {
            OptionalInt id = tokenizer.tokenId(tc.eosToken());
            if (id.isPresent()) ids.add(id.getAsInt());
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    public Path directory() { return dir; }

    /** The memory-mapped tensors of the model directory. */
    public TensorStore weights() { return weights; }

    public CasaConfig config() { return config; }

    public Tokenizer tokenizer() { return tokenizer; }

    public Decoder decoder() { return decoder; }

    public PromptBuilder prompts() { return prompts; }

    public GenerationConfig generationConfig() { return generationConfig; }

    public ThreadPool pool() { return pool; }

    /** The vision encoder, or null for a text-only model. */
    public VisionEncoder vision() { return vision; }

    /** The image preprocessor, or null for a text-only model. */
    public ImagePreprocessor preprocessor() { return preprocessor; }

    public boolean hasVision() { return vision != null; }

    /** Token ids that end a generation (generation_config.json, else config.json, else the EOS token). */
    public int[] eosTokenIds() { return eosTokenIds.clone(); }

    /** Greedy generation of up to {@link #DEFAULT_MAX_NEW_TOKENS} tokens, stopping at EOS. */
    public GenerationOptions defaultGenerationOptions() {
        return GenerationOptions.greedy(DEFAULT_MAX_NEW_TOKENS).withStopTokens(eosTokenIds);
    }

    /** Preprocessed pixels {@code [C, H, W]} of an image (model-format.md §5). */
    public float[] pixels(RgbImage image) {
        requireVision();
        return preprocessor.preprocess(image);
    }

    /** Projected image embeddings {@code [N, d]} of an image. */
    public float[] embedImage(RgbImage image) {
        requireVision();
        return vision.encode(preprocessor.preprocess(image));
    }

    /** Image tokens per image. */
    public int tokensPerImage() {
        requireVision();
        return vision.tokensPerImage();
    }

    private void requireVision() {
        if (vision == null) throw new IllegalStateException("this model has no vision tower (no vision_config in config.json)");
    }

    /** A new conversation or video stream; see {@link Session}. */
    public Session newSession() {
        return new Session(this, config.text().maxPositionEmbeddings());
    }

    /** A session whose caches hold at most {@code maxTokens} entries (text, plus images in insertion mode). */
    public Session newSession(int maxTokens) {
        return new Session(this, maxTokens);
    }

    /** Answers {@code prompt} about {@code image} (one user turn, greedy). */
    public String describe(RgbImage image, String prompt) {
        return describe(image, prompt, defaultGenerationOptions(), TokenListener.NONE).text();
    }

    public String describe(Path image, String prompt) {
        return describe(ImageDecoder.decode(image), prompt);
    }

    public GenerationResult describe(RgbImage image, String prompt, GenerationOptions options, TokenListener listener) {
        Session s = newSession();
        s.addImage(image);
        return s.ask(prompt, options, listener);
    }

    /**
     * The parity computation of {@code casa forward}: logits {@code [tokens.length, vocab]} for
     * {@code tokens} with images inserted at their points, in one prefill or token by token.
     */
    public float[] forward(int[] tokens, List<RgbImage> images, int[] insertAt, boolean tokenByToken) {
        if (images.size() != insertAt.length) throw new IllegalArgumentException("one insertion point per image");
        int vocab = config.text().vocabSize();
        for (int id : tokens) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " out of range [0, " + vocab + ")");
        }
        int perImage = images.isEmpty() ? 0 : tokensPerImage();
        List<ImageInput> inputs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (insertAt[i] < 0 || insertAt[i] > tokens.length || (i > 0 && insertAt[i] < insertAt[i - 1])) {
                throw new IllegalArgumentException("insert_at of image " + i + " (" + insertAt[i]
                        + ") must be non-decreasing and within [0, " + tokens.length + "]");
            }
            inputs.add(new ImageInput(embedImage(images.get(i)), perImage, insertAt[i]));
        }
        DecoderState state = decoder.newState(Math.max(1, tokens.length), perImage * images.size());
        if (!tokenByToken) return decoder.forward(state, tokens, inputs, LogitsMode.ALL);
        float[] logits = new float[tokens.length * vocab];
        int next = 0;
        for (int j = 0; j <= tokens.length; j++) {
            while (next < inputs.size() && inputs.get(next).insertAt() == j) {
                ImageInput img = inputs.get(next++);
                decoder.addImage(state, img.embeddings(), img.numTokens());
            }
            if (j == tokens.length) break;
            float[] row = decoder.addTokens(state, new int[] {tokens[j]}, LogitsMode.ALL);
            System.arraycopy(row, 0, logits, j * vocab, vocab);
        }
        return logits;
    }

    /** Builds a prompt for one user turn with images first, then text. */
    public dev.casa.text.prompt.Prompt prompt(int images, String text) {
        return prompts.build(List.of(ChatMessage.userWithImages(images, text)));
    }

    @Override
    public void close() {
        weights.close();
    }
}
