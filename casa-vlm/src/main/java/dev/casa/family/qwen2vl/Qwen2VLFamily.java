package dev.casa.family.qwen2vl;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamily;
import dev.casa.family.ModelParts;
import dev.casa.family.StopTokens;
import dev.casa.image.ComposedImageEncoder;
import dev.casa.image.Qwen2VLImages;
import dev.casa.text.fusion.PlaceholderFusion;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.processor.Qwen2VLImageProcessor;
import dev.casa.vision.qwen2vl.Qwen2VisionConfig;
import dev.casa.vision.qwen2vl.Qwen2VisionTower;
import java.util.Arrays;
import java.util.List;

/**
 * Qwen2.5-VL and Qwen2-VL ({@code Qwen2_5_VLForConditionalGeneration}, {@code Qwen2VLForConditionalGeneration})
 * exactly as HF transformers v4.51.3: the image's {@code <|image_pad|>} placeholders take the vision tower's
 * merged embeddings, at M-RoPE positions from {@code get_rope_index}; the Qwen2 decoder has q/k/v biases.
 * Both tensor namings load: the hub's ({@code visual.*}, {@code model.*}, {@code lm_head.*}) and that of
 * checkpoints re-saved by transformers ≥ 4.52 ({@code model.visual.*}, {@code model.language_model.*}).
 */
public final class Qwen2VLFamily implements ModelFamily {
    static final LmTensorNames RESAVED = new LmTensorNames("model.language_model.", "lm_head.weight");

    @Override
    public List<String> modelTypes() { return List.of("qwen2_5_vl", "qwen2_vl"); }

    @Override
    public ModelParts load(ModelDirectory dir) {
        JsonConfig c = dir.config();
        String type = c.string("model_type");
        Qwen2VLConfig top = c.bind(Qwen2VLConfig.class);
        TextConfig text = c.has("text_config") ? c.bind("text_config", TextConfig.class) : c.bind(TextConfig.class);
        String textKey = c.has("text_config") ? "text_config." : "";
        if (!text.multimodalRope()) {
            throw c.error(textKey + "rope_scaling", type + " uses M-RoPE: rope_scaling.mrope_section is required");
        }
        c.check("", () -> {
            dev.casa.core.config.ConfigChecks.tokenId("image_token_id", top.imageTokenId(), text.vocabSize());
            return null;
        });
        Qwen2VisionConfig visionConfig = Qwen2VisionConfig.read(c);
        if (visionConfig.outHiddenSize().intValue() != text.hiddenSize().intValue()) { // boxed: compare values
            throw c.error("vision_config", "the merger outputs " + visionConfig.outHiddenSize() + " features but the text hidden_size is "
                    + text.hiddenSize());
        }
        ImageProcessor processor = ImageProcessors.load(dir.require("preprocessor_config.json", "needed by a model with a vision tower"));
        if (!(processor instanceof Qwen2VLImageProcessor qwenProcessor)) {
            throw new ModelFormatException(dir.file("preprocessor_config.json") + ": image_processor_type: " + type
                    + " needs Qwen2VLImageProcessor");
        }
        Tokenizer tokenizer = dir.tokenizer();
        dir.checkVocab(tokenizer, text.vocabSize(), textKey + "vocab_size");
        TokenizerConfig tokenizerConfig = dir.tokenizerConfig();
        GenerationConfig generation = dir.generationConfig();
        TensorStore store = dir.openWeights();
        try {
            boolean resaved = store.find(RESAVED.embedTokens()).isPresent();
            LmTensorNames names = resaved ? RESAVED : LmTensorNames.HF;
            String visualPrefix = resaved ? Qwen2VisionTower.RESAVED_PREFIX : Qwen2VisionTower.HUB_PREFIX;
            TensorBinder b = dir.binder(store);
            LanguageModelWeights weights = LanguageModelWeights.bind(b, names, text);
            Qwen2VisionTower tower = Qwen2VisionTower.load(visionConfig, b, visualPrefix, dir.pool());
            b.rejectUnused(name -> name.endsWith("rotary_emb.inv_freq") ? null : "not a tensor of a " + type + " model");
            LanguageModel lm = new LanguageModel(text, weights, null, dir.pool());
            int imageToken = top.imageTokenId();
            String marker = tokenizer != null && imageToken < tokenizer.vocabSize() ? tokenizer.token(imageToken) : "<|image_pad|>";
            int bos = text.bosTokenId() != null ? text.bosTokenId() : -1;
            PromptBuilder prompts = new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                    tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), bos, PromptBuilder.ContentStyle.PARTS, marker);
            String arch = type + ", " + (resaved ? "transformers >= 4.52 tensor names" : "hub tensor names")
                    + ", M-RoPE sections " + Arrays.toString(text.ropeScaling().mropeSection());
            return new ModelParts(type, arch, lm, tokenizer, prompts, new ComposedImageEncoder(qwenProcessor, tower, tower.merger(), Qwen2VLImages.describe(qwenProcessor, tower)),
                    img -> {
                        int[] pads = new int[img.tokens()];
                        Arrays.fill(pads, imageToken);
                        return ImageTokens.placeholders(pads);
                    },
                    new PlaceholderFusion(imageToken, text.hiddenSize(), true),
                    StopTokens.of(generation, text, tokenizerConfig, tokenizer), generation, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }
}
