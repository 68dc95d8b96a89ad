package dev.casa.family.smolvlm;

import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.ModelDirectory;
import dev.casa.family.ModelFamily;
import dev.casa.family.ModelParts;
import dev.casa.text.fusion.PlaceholderFusion;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.TextConfig;
import dev.casa.text.tokenizer.Tokenizer;
import dev.casa.image.ComposedImageEncoder;
import dev.casa.vision.idefics3.PixelShuffleConnector;
import dev.casa.vision.siglip.SiglipVisionTower;
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
        SmolVLMFiles f = SmolVLMFiles.read(dir);
        TextConfig text = f.text();
        int scale = f.top().scaleFactor();
        TensorStore store = dir.openWeights();
        try {
            TensorBinder b = dir.binder(store);
            LanguageModelWeights weights = LanguageModelWeights.bind(b, NAMES, text);
            SiglipVisionTower tower = SiglipVisionTower.bind(f.vision(), b, VISION_PREFIX, dir.pool());
            PixelShuffleConnector connector = PixelShuffleConnector.bind(b, CONNECTOR_PREFIX, f.vision().hiddenSize(), scale,
                    text.hiddenSize(), dir.pool());
            b.rejectUnused(name -> name.endsWith("rotary_emb.inv_freq") ? null : "not a tensor of a " + f.modelType() + " model");
            LanguageModel lm = new LanguageModel(text, weights, null, dir.pool());
            Tokenizer tokenizer = f.tokenizer();
            int tile = f.processor().config().maxImageSize(), grid = tile / f.vision().patchSize();
            connector.checkGrid(grid);
            var c = f.vision();
            var p = f.processor().config();
            ComposedImageEncoder images = new ComposedImageEncoder(
                    new TileLimitedProcessor(f.processor(), (rows, cols) -> tileMarkersExist(tokenizer, rows, cols),
                            "its tokenizer has <row_r_col_c> tokens up to " + largestTileGrid(tokenizer)),
                    tower, connector,
                    String.format("SigLIP (Idefics3), %d layers, width %d, patch %d; tiles of %d px (longest edge %d, splitting %s),"
                                    + " pixel shuffle %d -> %d tokens per tile, projected to %d",
                            c.numHiddenLayers(), c.hiddenSize(), c.patchSize(), tile, p.longestEdge(),
                            p.doImageSplitting() ? "on" : "off", scale, connector.tokens(grid), connector.outputWidth()));
            String arch = f.modelType() + ", SigLIP tiles + pixel shuffle " + scale + " -> " + f.imageSeqLen() + " tokens per tile, "
                    + "placeholder fusion at 1-D positions, " + (text.tieWordEmbeddings() ? "tied" : "untied") + " lm_head";
            return new ModelParts(f.modelType(), arch, lm, tokenizer, f.prompts(), images, f.layout(),
                    new PlaceholderFusion(f.top().imageTokenId(), text.hiddenSize(), false), f.stopTokens(), f.generation(), store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
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
