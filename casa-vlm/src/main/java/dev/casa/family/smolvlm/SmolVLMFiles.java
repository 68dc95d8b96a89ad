package dev.casa.family.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.family.ModelDirectory;
import dev.casa.family.StopTokens;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.processor.Idefics3ImageProcessor;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.nio.file.Path;

/**
 * Everything of an Idefics3 / SmolVLM directory except its weights, read and checked: config.json's records,
 * the image processor, {@code image_seq_len}, tokenizer, chat template, generation defaults, the prompt builder
 * and image layout, and the stop ids.
 *
 * @param imageSeqLen embeddings (and {@code <image>} placeholders) per tile: {@code ((tile / patch)²) / scale²}
 */
public record SmolVLMFiles(String modelType, SmolVLMConfig top, TextConfig text, SiglipVisionConfig vision,
                           Idefics3ImageProcessor processor, int imageSeqLen, Tokenizer tokenizer,
                           TokenizerConfig tokenizerConfig, GenerationConfig generation, PromptBuilder prompts,
                           SmolVLMPromptLayout layout, int[] stopTokens) {

    /** Reads {@code dir} (not its weights); a bad or inconsistent file is a {@link ModelFormatException} naming it. */
    public static SmolVLMFiles read(ModelDirectory dir) {
        JsonConfig c = dir.config();
        String type = c.string("model_type");
        SmolVLMConfig top = c.bind(SmolVLMConfig.class);
        TextConfig text = textConfig(c);
        if (text.multimodalRope()) throw c.error("text_config.rope_scaling", type + " positions are 1-D: mrope_section is not allowed");
        c.check("", () -> ConfigChecks.tokenId("image_token_id", top.imageTokenId(), text.vocabSize()));
        SiglipVisionConfig vision = SiglipVisionConfig.read(c, SiglipVisionConfig.Variant.IDEFICS3);

        Path preprocessor = dir.require("preprocessor_config.json", "needed by a model with a vision tower");
        ImageProcessor processor = ImageProcessors.load(preprocessor, dir.pool());
        if (!(processor instanceof Idefics3ImageProcessor tiles)) {
            throw new ModelFormatException(preprocessor + ": image_processor_type: " + type + " needs Idefics3ImageProcessor");
        }
        int tile = tiles.config().maxImageSize();
        int grid = tile / vision.patchSize();
        int scale = top.scaleFactor();
        if (tile % vision.patchSize() != 0 || grid % scale != 0) {
            throw new ModelFormatException(preprocessor + ": max_image_size.longest_edge: tiles of " + tile + " px are not "
                    + "a whole number of " + vision.patchSize() + "-px patches in blocks of scale_factor " + scale);
        }
        int imageSeqLen = (grid / scale) * (grid / scale);
        checkImageSeqLen(dir, imageSeqLen, tile, vision.patchSize(), scale);

        Tokenizer tokenizer = dir.tokenizer();
        dir.checkVocab(tokenizer, text.vocabSize(), "text_config.vocab_size");
        if (tokenizer != null) {
            // The layout writes "<image>"; its id must be the one the fusion replaces.
            var id = tokenizer.tokenId(SmolVLMPromptLayout.IMAGE);
            if (id.isEmpty() || id.getAsInt() != top.imageTokenId()) {
                throw c.error("image_token_id", top.imageTokenId() + ", but tokenizer.json gives <image> the id "
                        + (id.isEmpty() ? "(none)" : String.valueOf(id.getAsInt())));
            }
        }
        TokenizerConfig tokenizerConfig = dir.tokenizerConfig();
        GenerationConfig generation = dir.generationConfig();
        // No BOS id for the template-less form: SmolVLM's tokenizer adds none, and its template writes <|im_start|>.
        PromptBuilder prompts = new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), -1, PromptBuilder.ContentStyle.PARTS,
                SmolVLMFamily.IMAGE_MARKER);
        return new SmolVLMFiles(type, top, text, vision, tiles, imageSeqLen, tokenizer, tokenizerConfig, generation, prompts,
                new SmolVLMPromptLayout(tokenizer, imageSeqLen), StopTokens.of(generation, text, tokenizerConfig, tokenizer));
    }

    public SmolVLMFiles {
        stopTokens = stopTokens.clone();
    }

    @Override
    public int[] stopTokens() { return stopTokens.clone(); }

    /** {@code text_config}, whose {@code model_type} defaults to llama as in HF's Idefics3Config. */
    static TextConfig textConfig(JsonConfig c) {
        JsonNode tc = c.node("text_config");
        if (tc != null && tc.isObject() && !tc.has("model_type")) {
            ObjectNode root = c.root().deepCopy();
            ((ObjectNode) root.get("text_config")).put("model_type", "llama");
            return JsonConfig.of(root, c.source()).bind("text_config", TextConfig.class);
        }
        return c.bind("text_config", TextConfig.class);
    }

    /**
     * processor_config.json's {@code image_seq_len} (what HF's processor writes per tile) must be what the tower
     * and connector produce per tile, or every prompt would be refused by the placeholder check.
     */
    static void checkImageSeqLen(ModelDirectory dir, int imageSeqLen, int tile, int patch, int scale) {
        if (!dir.has("processor_config.json")) return;
        JsonConfig pc = JsonConfig.read(dir.file("processor_config.json"));
        JsonNode n = pc.node("image_seq_len");
        if (n == null || n.isNull()) return;
        if (!n.isIntegralNumber() || n.intValue() != imageSeqLen) {
            throw pc.error("image_seq_len", "expected " + imageSeqLen + " = ((" + tile + " / " + patch + ")^2) / " + scale
                    + "^2 (tile, patch, scale_factor), found " + JsonConfig.describe(n));
        }
    }

}
