package dev.casa.text.model;

import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.text.casa.CasaLayers;
import dev.casa.text.fusion.CasaFusion;
import dev.casa.text.fusion.Fusion;
import dev.casa.text.fusion.InsertionFusion;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.lm.LmTensorNames;
import dev.casa.text.lm.LogitsMode;
import java.util.List;

/**
 * Test harness: our format's decoder composed from the library's parts (the language model, the CASA
 * layers, the fusion at insertion points), with the call shapes the decoder tests use.
 */
public final class Decoder {
    public static final LmTensorNames NAMES = new LmTensorNames("language_model.model.", "language_model.lm_head.weight");

    private final TinyConfig config;
    private final LanguageModel lm;
    private final Fusion fusion;

    private Decoder(TinyConfig config, LanguageModel lm) {
        this.config = config;
        this.lm = lm;
        this.fusion = config.fusion() == TinyConfig.Fusion.CASA ? new CasaFusion() : new InsertionFusion(config.text().hiddenSize());
    }

    public static Decoder load(TinyConfig config, TensorStore store, ThreadPool pool) {
        TensorBinder b = new TensorBinder(store);
        LanguageModelWeights w = LanguageModelWeights.bind(b, NAMES, config.text());
        CasaLayers casa = config.casa() == null ? null
                : CasaLayers.bind(b, NAMES, config.text(), config.casa().layers(), config.casa().shareProjections(), config.casa().imageRope());
        return new Decoder(config, new LanguageModel(config.text(), w, casa, pool));
    }

    public TinyConfig config() { return config; }

    public LanguageModel languageModel() { return lm; }

    public Decoder withPrefillChunk(int rows) {
        return new Decoder(config, lm.withPrefillChunk(rows));
    }

    public DecoderState newState() { return lm.newState(); }

    /** Room for {@code text} text tokens, plus {@code images} image tokens when images enter the KV cache. */
    public DecoderState newState(int text, int images) {
        return lm.newState(Math.max(1, text + (fusion.imagesInKvCache() ? images : 0)));
    }

    public float[] forward(DecoderState s, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        return lm.forward(s, fusion.input(tokens, images, s), mode);
    }

    public float[] addTokens(DecoderState s, int[] tokens, LogitsMode mode) {
        return lm.addTokens(s, tokens, mode);
    }

    public void addImage(DecoderState s, float[] embeddings, int n) {
        forward(s, new int[0], List.of(new ImageInput(embeddings, n, 0)), LogitsMode.NONE);
    }
}
