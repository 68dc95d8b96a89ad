package dev.casa.family;

import dev.casa.LoadOptions;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model folder as downloaded (HF layout): config.json parsed once, the other files read on demand by
 * the family that loads it. Errors name the file.
 */
public final class ModelDirectory {
    private final Path dir;
    private final JsonConfig config;
    private final ThreadPool pool;
    private final QuantizationPolicy quantization;

    private ModelDirectory(Path dir, JsonConfig config, LoadOptions options) {
        this.dir = dir;
        this.config = config;
        this.pool = options.poolOrShared();
        this.quantization = new QuantizationPolicy(options);
    }

    /** Opens {@code dir} and parses its config.json; weights as stored. */
    public static ModelDirectory open(Path dir, ThreadPool pool) {
        return open(dir, LoadOptions.defaults().withPool(pool));
    }

    /** Opens {@code dir} and parses its config.json; the families bind with {@code options}' quantization. */
    public static ModelDirectory open(Path dir, LoadOptions options) {
        if (!Files.isDirectory(dir)) throw new ModelFormatException(dir + ": not a model directory");
        Path file = dir.resolve("config.json");
        if (!Files.exists(file)) throw new ModelFormatException(file + ": file not found (a model directory needs config.json)");
        return new ModelDirectory(dir, JsonConfig.read(file), options);
    }

    /**
     * A binder over {@code store} that applies this load's quantization to the matrices it hands out: every
     * family binds through one (and may make several over the same store; a matrix is quantized once).
     */
    public TensorBinder binder(dev.casa.core.safetensors.TensorStore store) {
        return new TensorBinder(store, quantization);
    }

    /** What this load quantizes, and what it quantized so far. */
    public QuantizationPolicy quantization() { return quantization; }

    public Path path() { return dir; }

    /** config.json, parsed once. */
    public JsonConfig config() { return config; }

    public ThreadPool pool() { return pool; }

    public Path file(String name) { return dir.resolve(name); }

    public boolean has(String name) { return Files.exists(dir.resolve(name)); }

    /**
     * tokenizer.json, or null when the directory has none: such a model still runs token-id requests
     * ({@code casa forward}), but cannot encode text.
     */
    public Tokenizer tokenizer() {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) return null;
        return Tokenizer.fromFile(file);
    }

    /** A tokenizer defining more ids than the model's vocabulary is an error naming both. */
    public void checkVocab(Tokenizer tokenizer, int vocabSize, String key) {
        if (tokenizer != null && tokenizer.vocabSize() > vocabSize) {
            throw new ModelFormatException(dir.resolve("tokenizer.json") + ": the tokenizer defines " + tokenizer.vocabSize()
                    + " ids but " + key + " is " + vocabSize);
        }
    }

    /** Text → ids without added special tokens; without tokenizer.json, an error saying so. */
    public static java.util.function.Function<String, int[]> encoder(Tokenizer tokenizer, Path dir) {
        if (tokenizer == null) {
            return s -> {
                throw new IllegalStateException(dir.resolve("tokenizer.json") + ": file not found (needed to encode text)");
            };
        }
        return s -> tokenizer.encode(s, false);
    }

    /** tokenizer_config.json and the chat template files, all optional. */
    public TokenizerConfig tokenizerConfig() { return TokenizerConfig.load(dir); }

    /** generation_config.json, or every default when absent. */
    public GenerationConfig generationConfig() {
        Path file = dir.resolve("generation_config.json");
        return Files.exists(file) ? JsonConfig.read(file).bind(GenerationConfig.class) : GenerationConfig.empty();
    }

    /** A required file of the directory; {@code why} says who needs it. */
    public Path require(String name, String why) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) throw new ModelFormatException(file + ": file not found (" + why + ")");
        return file;
    }

    /** The weights: model.safetensors, or the shards of model.safetensors.index.json (memory-mapped). */
    public TensorStore openWeights() { return ModelWeights.open(dir); }
}
