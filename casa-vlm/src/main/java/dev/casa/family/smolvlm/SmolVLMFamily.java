package dev.casa.family.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.config.ConfigChecks;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.ImagePromptLayout;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamily;
import dev.casa.family.ModelParts;
import dev.casa.family.StopTokens;
import dev.casa.text.fusion.PlaceholderFusion;
import dev.casa.text.generate.GenerationConfig;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.prompt.PromptBuilder;
import dev.casa.text.prompt.TokenizerConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.vision.idefics3.PixelShuffleConnector;
import dev.casa.vision.processor.Idefics3ImageProcessor;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.siglip.SiglipVisionConfig;
import dev.casa.vision.siglip.SiglipVisionTower;
import java.nio.file.Path;
import java.util.List;

/**
 * Idefics3 and SmolVLM ({@code Idefics3ForConditionalGeneration}, {@code SmolVLMForConditionalGeneration}) exactly
 * as HF transformers v4.51.3 computes them; the two differ only in names, so one code path loads both:
 * <ul>
 *   <li>images: {@code Idefics3ImageProcessor} tiles, the SigLIP tower ({@code model.vision_model.*}, bucketed
 *       position ids), the pixel-shuffle connector ({@code model.connector.modality_projection.proj});</li>
 *   <li>the Llama decoder under {@code model.text_model.*}, {@code lm_head.weight} unless
 *       {@code text_config.tie_word_embeddings};</li>
 *   <li>prompts: the model's chat template with content parts, {@code <image>} expanded by
 *       {@link SmolVLMPromptLayout}; the placeholders take the image's embeddings in order (HF's scatter) at plain
 *       1-D positions; no BOS is added (the template writes its own); generation stops at generation_config.json's
 *       eos ({@code <end_of_utterance>}).</li>
 * </ul>
 */
public final class SmolVLMFamily implements ModelFamily {
    static final LmTensorNames NAMES = new LmTensorNames("model.text_model.", "lm_head.weight");
    static final String VISION_PREFIX = "model.vision_model.";
    static final String CONNECTOR_PREFIX = "model.connector.";
    /** The text the chat template renders for an image. */
    static final String IMAGE_MARKER = SmolVLMPromptLayout.IMAGE;

    @Override
    public List<String> modelTypes() { return List.of("idefics3", "smolvlm"); }

    @Override
    public ModelParts load(ModelDirectory dir) {
        JsonConfig c = dir.config();
        String type = c.string("model_type");
        SmolVLMConfig top = c.bind(SmolVLMConfig.class);
        TextConfig text = textConfig(c);
        if (text.multimodalRope()) throw c.error("text_config.rope_scaling", type + " positions are 1-D: mrope_section is not allowed");
        c.check("", () -> ConfigChecks.tokenId("image_token_id", top.imageTokenId(), text.vocabSize()));
        SiglipVisionConfig vision = SiglipVisionConfig.read(c, SiglipVisionConfig.Variant.IDEFICS3);

        Path preprocessor = dir.require("preprocessor_config.json", "needed by a model with a vision tower");
        ImageProcessor processor = ImageProcessors.load(preprocessor);
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
        TokenizerConfig tokenizerConfig = dir.tokenizerConfig();
        GenerationConfig generation = dir.generationConfig();
        TensorStore store = dir.openWeights();
        try {
            TensorBinder b = new TensorBinder(store);
            LanguageModelWeights weights = LanguageModelWeights.bind(b, NAMES, text);
            SiglipVisionTower tower = SiglipVisionTower.bind(vision, b, VISION_PREFIX, dir.pool());
            PixelShuffleConnector connector = PixelShuffleConnector.bind(b, CONNECTOR_PREFIX, vision.hiddenSize(), scale,
                    text.hiddenSize());
            b.rejectUnused(name -> name.endsWith("rotary_emb.inv_freq") ? null : "not a tensor of a " + type + " model");
            LanguageModel lm = new LanguageModel(text, weights, null, dir.pool());
            int imageToken = top.imageTokenId();
            PromptBuilder prompts = new PromptBuilder(tokenizerConfig.chatTemplate(), ModelDirectory.encoder(tokenizer, dir.path()),
                    tokenizerConfig.bosToken(), tokenizerConfig.eosToken(), -1, PromptBuilder.ContentStyle.PARTS, IMAGE_MARKER);
            SmolVLMImageEncoder images = new SmolVLMImageEncoder(tiles, tower, connector, dir.pool(),
                    (rows, cols) -> tileMarkersExist(tokenizer, rows, cols),
                    "its tokenizer has <row_r_col_c> tokens up to " + largestTileGrid(tokenizer));
            ImagePromptLayout layout = new SmolVLMPromptLayout(tokenizer, imageSeqLen);
            String arch = type + ", SigLIP tiles + pixel shuffle " + scale + " -> " + imageSeqLen + " tokens per tile, "
                    + "placeholder fusion at 1-D positions, " + (text.tieWordEmbeddings() ? "tied" : "untied") + " lm_head";
            return new ModelParts(type, arch, lm, tokenizer, prompts, images, layout,
                    new PlaceholderFusion(imageToken, text.hiddenSize(), false),
                    StopTokens.of(generation, text, tokenizerConfig, tokenizer), generation, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

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

    /** Whether every {@code <row_r_col_c>} of a {@code rows × cols} split is one token (no tokenizer: not checked). */
    static boolean tileMarkersExist(Tokenizer tokenizer, int rows, int cols) {
        if (tokenizer == null) return true;
        for (int r = 1; r <= rows; r++) {
            for (int c = 1; c <= cols; c++) {
                if (tokenizer.tokenId(SmolVLMPromptLayout.tileMarker(r, c)).isEmpty()) return false;
            }
        }
        return true;
    }

    /** "RxC", the largest square-ish grid whose markers exist, for the error message. */
    static String largestTileGrid(Tokenizer tokenizer) {
        if (tokenizer == null) return "(no tokenizer)";
        int rows = 0;
        while (tileMarkersExist(tokenizer, rows + 1, 1)) rows++;
        int cols = 0;
        while (tileMarkersExist(tokenizer, 1, cols + 1)) cols++;
        return rows + "x" + cols;
    }
}
