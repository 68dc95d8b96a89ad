package dev.casa;

import dev.casa.vision.image.RgbImage;
import java.util.List;
import java.util.OptionalInt;

/**
 * The parity computation behind {@code casa forward}: a {@link ForwardRequest} of either form run on a
 * model of either kind, with the checks the specs ask for (forward-cli.md, hf-models.md).
 */
public final class Parity {
    private Parity() {}

    /**
     * Logits {@code [tokens.length, vocab]} for {@code tokens} with {@code images} (decoded from the request's
     * paths). Models that fill placeholder tokens take the HF form; models that attach images at insertion
     * points take the forward-cli form; the wrong form with images is an error saying which one to use.
     */
    public static float[] logits(CasaModel model, ForwardRequest req, int[] tokens, List<RgbImage> images, boolean prefill) {
        if (!images.isEmpty() && !model.hasVision()) throw new IllegalArgumentException("the request has images but the model has no vision tower");
        OptionalInt placeholder = model.placeholderTokenId();
        int[] insertAt = req.insertAt();
        int prefillTokens;
        if (placeholder.isPresent()) {
            if (!req.hfForm() && !images.isEmpty()) {
                throw new IllegalArgumentException("this model takes images through placeholder tokens: give \"input_ids\""
                        + " (placeholders expanded) and \"images\": [paths] (hf-models.md)");
            }
            insertAt = new int[images.size()];
            prefillTokens = req.prefillTokens() != null ? req.prefillTokens() : afterLastPlaceholder(tokens, placeholder.getAsInt());
        } else {
            if (req.hfForm() && !images.isEmpty()) {
                throw new IllegalArgumentException("this model attaches images at insertion points: give \"tokens\" and"
                        + " \"images\": [{\"path\", \"insert_at\"}] (forward-cli.md)");
            }
            if (req.hfForm()) insertAt = new int[0];
            for (int p : insertAt) {
                if (p > tokens.length) throw new IllegalArgumentException("insert_at " + p + " is beyond the " + tokens.length + " tokens");
            }
            prefillTokens = req.prefillTokens() != null ? req.prefillTokens() : 0;
        }
        return model.forward(tokens, images, insertAt, prefill, prefillTokens);
    }

    /** HF's default decode split: everything up to the last image placeholder in one pass (1 for text only). */
    static int afterLastPlaceholder(int[] tokens, int placeholder) {
        int last = -1;
        for (int j = 0; j < tokens.length; j++) if (tokens[j] == placeholder) last = j;
        return last < 0 ? Math.min(1, tokens.length) : last + 1;
    }
}
