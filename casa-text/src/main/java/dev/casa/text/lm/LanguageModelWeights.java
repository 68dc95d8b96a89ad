package dev.casa.text.lm;

import dev.casa.core.nn.RmsNorm;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of a Llama-family language model, checked against the config and bound once. Matrices
 * stay (memory-mapped) {@link Tensor}s; norm weights and biases are widened to float here.
 *
 * @param lmHead {@code [V, d]}; the embedding matrix itself when the embeddings are tied
 */
public record LanguageModelWeights(Tensor embedTokens, List<DecoderLayer> layers, RmsNorm norm, Tensor lmHead) {

    /** Binds every language-model tensor under {@code names}; unused tensors are checked by the caller. */
    public static LanguageModelWeights bind(TensorBinder b, LmTensorNames names, TextConfig t) {
        int d = t.hiddenSize();
        Tensor embed = b.matrix(names.embedTokens(), t.vocabSize(), d,
                t.tieWordEmbeddings() ? TensorBinder.MatrixUse.TIED_EMBEDDING : TensorBinder.MatrixUse.EMBEDDING);
        Tensor head;
        if (t.tieWordEmbeddings()) {
            head = embed;
            b.accept(names.lmHead()); // HF ignores a stored copy of a tied head
        } else {
            head = b.matrix(names.lmHead(), t.vocabSize(), d, TensorBinder.MatrixUse.OUTPUT_HEAD);
        }
        RmsNorm norm = b.rmsNorm(names.norm(), d, t.rmsNormEps());
        List<DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < t.numHiddenLayers(); i++) layers.add(DecoderLayer.bind(b, names.layer(i), t));
        return new LanguageModelWeights(embed, List.copyOf(layers), norm, head);
    }

    public DecoderLayer layer(int i) { return layers.get(i); }
}
