package dev.casa.text.fusion;

import dev.casa.text.lm.DecoderInput;
import dev.casa.text.lm.DecoderState;
import dev.casa.text.lm.ImageInput;
import java.util.List;

/** Images attached at insertion points for the decoder's CASA layers; they take no rows and no positions. */
public final class CasaFusion implements Fusion {

    @Override
    public DecoderInput input(int[] tokens, List<ImageInput> images, DecoderState state) {
        return DecoderInput.withAttachments(tokens, images);
    }

    @Override
    public boolean imagesInKvCache() { return false; }
}
