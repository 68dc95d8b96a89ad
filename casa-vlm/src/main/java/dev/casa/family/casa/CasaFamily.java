package dev.casa.family.casa;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamily;
import dev.casa.family.ModelParts;
import dev.casa.family.StopTokens;
import dev.casa.image.ImageEncoder;
import dev.casa.image.ComposedImageEncoder;
import dev.casa.image.Qwen2VLImages;
import dev.casa.vision.processor.SiglipImageProcessor;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.processor.Qwen2VLImageProcessor;
import dev.casa.vision.qwen2vl.Qwen2VisionConfig;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;
import java.nio.file.Path;
import dev.casa.text.casa.CasaConfig;
import dev.casa.text.casa.CasaLayers;
import dev.casa.text.casa.ImageRope;
import dev.casa.text.fusion.CasaFusion;
import dev.casa.text.fusion.Fusion;
import dev.casa.text.fusion.InsertionFusion;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.VisionEncoder;
import dev.casa.vision.image.PreprocessorConfig;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our CASA format (model-format.md): a SigLIP tower and projector feeding a Helium/Llama decoder, with
 * CASA layers or by insertion, tensors under {@code language_model.}, {@code vision_tower.},
 * {@code multi_modal_projector.}.
 */
public final class CasaFamily implements ModelFamily {
    static final LmTensorNames NAMES = new LmTensorNames("language_model.model.", "language_model.lm_head.weight");
    private static final Pattern LAYER_NAME = Pattern.compile(Pattern.quote(NAMES.layers()) + "(\\d+)\\.(.+)");

    @Override
    public List<String> modelTypes() { return List.of("casa"); }

    /** config.json's records, resolved against each other (CASA layers against the layer count). */
    public record Configs(CasaFormatConfig format, TextConfig text, CasaConfig casa, int[] casaLayers, ImageRope imageRope) {
        public boolean casaFusion() { return casa != null; }
    }

    /** Binds and checks config.json; errors name the file and the dotted key. */
    public static Configs configs(JsonConfig c) {
        CasaFormatConfig format = c.bind(CasaFormatConfig.class);
        TextConfig text = c.bind("text_config", TextConfig.class);
        c.check("", () -> {
            format.checkTokenIds(text.vocabSize());
            return null;
        });
        if (format.fusionKind() == CasaFormatConfig.Fusion.INSERTION) return new Configs(format, text, null, new int[0], null);
        CasaConfig casa = c.bind("casa_config", CasaConfig.class);
        int[] layers = c.check("casa_config", () -> casa.layers(text.numHiddenLayers()));
        ImageRope rope = c.check("casa_config", () -> casa.imageRope(text.multimodalRope()));
        return new Configs(format, text, casa, layers, rope);
    }

    /**
     * Binds the language model and its CASA layers from {@code store}; every unbound tensor that is not the
     * vision side's and looks misplaced or misspelt is an error naming it.
     */
    public static LanguageModel languageModel(Configs cfg, TensorStore store, ThreadPool pool) {
        return languageModel(cfg, new TensorBinder(store), pool);
    }

    /** As {@link #languageModel(Configs, TensorStore, ThreadPool)}, binding through {@code b} (and its matrix policy). */
    public static LanguageModel languageModel(Configs cfg, TensorBinder b, ThreadPool pool) {
        LanguageModelWeights weights = LanguageModelWeights.bind(b, NAMES, cfg.text());
        CasaLayers casa = cfg.casaFusion()
                ? CasaLayers.bind(b, NAMES, cfg.text(), cfg.casaLayers(), cfg.casa().shareProjections(), cfg.imageRope()) : null;
        b.rejectUnused(name -> unusedProblem(name, cfg, casa));
        return new LanguageModel(cfg.text(), weights, casa, pool);
    }

    @Override
    public ModelParts load(ModelDirectory dir) {
        JsonConfig c = dir.config();
        Configs cfg = configs(c);
        TextConfig text = cfg.text();
        Tokenizer tokenizer = dir.tokenizer();
        dir.checkVocab(tokenizer, text.vocabSize(), "text_config.vocab_size");
        TokenizerConfig tokenizerConfig = dir.tokenizerConfig();
        GenerationConfig generation = dir.generationConfig();
        TensorStore store = dir.openWeights();
        try {
            LanguageModel lm = languageModel(cfg, dir.binder(store), dir.pool());
            ImageEncoder images = c.has("vision_config") ? imageEncoder(dir, text, store) : null;
            boolean qwenTower = images instanceof ComposedImageEncoder ce && ce.tower() instanceof Qwen2VisionTower;
            boolean template = tokenizerConfig.chatTemplate() != null;
            int bos = text.bosTokenId() != null ? text.bosTokenId() : -1;
            int[] pre = cfg.format().preImageTokens(), post = cfg.format().postImageTokens();
            // casa-qwen.md §5: with a Qwen tower the Qwen chat template renders each image part as
            // <|vision_start|><|image_pad|><|vision_end|>; the pad becomes the insertion point, the delimiters
            // stay text. Without a template, pre_image_tokens + point + post_image_tokens say the same.
            PromptBuilder prompts = qwenTower
                    ? new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                            tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), bos, PromptBuilder.ContentStyle.PARTS, QWEN_IMAGE_MARKER)
                    : new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                            tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), bos,
                            PromptBuilder.ContentStyle.TEXT_WITH_PLACEHOLDER, PromptBuilder.IMAGE_PLACEHOLDER);
            ImageTokens layout = qwenTower && template ? ImageTokens.atPoint(new int[0], new int[0]) : ImageTokens.atPoint(pre, post);
            Fusion fusion = cfg.casaFusion() ? new CasaFusion() : new InsertionFusion(text.hiddenSize(), text.multimodalRope());
            String arch = "casa format, " + (cfg.casaFusion() ? "CASA fusion, layers " + java.util.Arrays.toString(cfg.casaLayers())
                    + ", share_projections=" + cfg.casa().shareProjections() + ", image_rope=" + cfg.imageRope() : "insertion fusion");
            return new ModelParts("casa", arch, lm, tokenizer, prompts, images,
                    images == null ? null : img -> layout, fusion,
                    StopTokens.of(generation, text, tokenizerConfig, tokenizer), generation, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The Qwen chat template's image marker. */
    static final String QWEN_IMAGE_MARKER = "<|image_pad|>";

    /**
     * The vision side by {@code vision_config.model_type}: Qwen2.5-VL's (or Qwen2-VL's) tower and merger under
     * {@code visual.*} (casa-qwen.md), else our SigLIP tower and projector (model-format.md).
     */
    private static ImageEncoder imageEncoder(ModelDirectory dir, TextConfig text, TensorStore store) {
        JsonConfig c = dir.config();
        Path preprocessor = dir.require("preprocessor_config.json", "needed by a model with a vision tower");
        String type = c.string("vision_config.model_type");
        if ("qwen2_5_vl".equals(type) || "qwen2_vl".equals(type)) {
            Qwen2VisionConfig vc = Qwen2VisionConfig.read(c);
            if (vc.outHiddenSize().intValue() != text.hiddenSize().intValue()) { // boxed: compare values
                throw c.error("vision_config.out_hidden_size", "the merger outputs " + vc.outHiddenSize()
                        + " features but text_config.hidden_size is " + text.hiddenSize());
            }
            ImageProcessor processor = ImageProcessors.load(preprocessor);
            if (!(processor instanceof Qwen2VLImageProcessor qwen)) {
                throw new ModelFormatException(preprocessor + ": image_processor_type: a " + type + " vision tower needs Qwen2VLImageProcessor");
            }
            Qwen2VisionTower tower = Qwen2VisionTower.loadRejectingUnused(vc, dir.binder(store), Qwen2VisionTower.HUB_PREFIX, dir.pool());
            return new ComposedImageEncoder(qwen, tower, tower.merger(), Qwen2VLImages.describe(qwen, tower));
        }
        VisionEncoder vision = VisionEncoder.load(c.root(), dir.binder(store), dir.pool());
        if (vision.embeddingSize() != text.hiddenSize()) {
            throw c.error("text_config.hidden_size", "the projector outputs " + vision.embeddingSize()
                    + " features but text_config.hidden_size is " + text.hiddenSize());
        }
        PreprocessorConfig pre = PreprocessorConfig.load(preprocessor);
        if (pre.height() != vision.imageSize() || pre.width() != vision.imageSize()) {
            throw new ModelFormatException(preprocessor + ": size: resizes to " + pre.width() + "x" + pre.height()
                    + " but the vision tower takes " + vision.imageSize() + "x" + vision.imageSize() + " images");
        }
        return new ComposedImageEncoder(new SiglipImageProcessor(pre), vision.tower(), vision.projector(),
                String.format("SigLIP, image %d, %d tokens per image, width %d -> projected %d",
                        vision.imageSize(), vision.tokensPerImage(), vision.featureSize(), vision.embeddingSize()));
    }

    /** Why an unbound tensor is wrong, or null when it belongs elsewhere or is unknown (model-format.md §1). */
    private static String unusedProblem(String name, Configs cfg, CasaLayers casa) {
        TextConfig t = cfg.text();
        if (name.startsWith("vision_tower.") || name.startsWith("multi_modal_projector.") || name.startsWith("visual.")) return null;
        Matcher m = LAYER_NAME.matcher(name);
        if (m.matches() && isKnownLayerSuffix(m.group(2))) {
            String suffix = m.group(2);
            long index;
            try {
                index = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                index = Long.MAX_VALUE;
            }
            if (index >= t.numHiddenLayers()) return "layer " + m.group(1) + " does not exist (num_hidden_layers=" + t.numHiddenLayers() + ")";
            if (suffix.startsWith("casa_")) {
                if (casa == null) return "CASA tensor in a model with fusion=insertion";
                if (casa.shareProjections()) return "CASA tensor but casa_config.share_projections=true";
                return "layer " + index + " is not in casa_config.layers " + java.util.Arrays.toString(cfg.casaLayers());
            }
            if (suffix.startsWith("mlp.") && suffix.endsWith(".bias")) return "MLP bias but text_config.mlp_bias=false";
            if (suffix.endsWith(".bias")) return "attention bias but text_config.attention_bias=false";
            return null;
        }
        if (!name.startsWith("language_model.") && (name.startsWith("model.") || name.startsWith("lm_head."))) {
            return "missing the 'language_model.' prefix";
        }
        return null;
    }

    private static boolean isKnownLayerSuffix(String suffix) {
        if (suffix.equals("input_layernorm.weight") || suffix.equals("post_attention_layernorm.weight")
                || suffix.equals("casa_layernorm.weight")) {
            return true;
        }
        for (String proj : List.of("gate_proj", "up_proj", "down_proj")) {
            if (suffix.equals("mlp." + proj + ".weight") || suffix.equals("mlp." + proj + ".bias")) return true;
        }
        for (String attn : List.of("self_attn.", "casa_attn.")) {
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                if (suffix.equals(attn + proj + ".weight") || suffix.equals(attn + proj + ".bias")) return true;
            }
        }
        return false;
    }
}
