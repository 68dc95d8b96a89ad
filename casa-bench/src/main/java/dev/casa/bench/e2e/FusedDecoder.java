package dev.casa.bench.e2e;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.family.casa.CasaFamily;
import dev.casa.text.fusion.CasaFusion;
import dev.casa.text.fusion.Fusion;
import dev.casa.text.fusion.InsertionFusion;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LogitsMode;
import dev.casa.text.lm.TextConfig;
import java.util.List;

/** A bench model's language model with its fusion at insertion points: CASA layers, or insertion. */
final class FusedDecoder {
    final CasaFamily.Configs config;
    final LanguageModel lm;
    private final Fusion fusion;

    FusedDecoder(JsonConfig config, TensorStore store, ThreadPool pool) {
        this.config = CasaFamily.configs(config);
        this.lm = CasaFamily.languageModel(this.config, store, pool);
        this.fusion = this.config.casaFusion() ? new CasaFusion() : new InsertionFusion(this.config.text().hiddenSize());
    }

    TextConfig text() { return config.text(); }

    /** Room for {@code text} text tokens, plus {@code images} image tokens when images enter the KV cache. */
    DecoderState newState(int text, int images) {
        return lm.newState(Math.max(1, text + (fusion.imagesInKvCache() ? images : 0)));
    }

    float[] forward(DecoderState s, int[] tokens, List<ImageInput> images, LogitsMode mode) {
        return lm.forward(s, fusion.input(tokens, images, s), mode);
    }

    float[] addTokens(DecoderState s, int[] tokens, LogitsMode mode) {
        return lm.addTokens(s, tokens, mode);
    }
}
