package dev.casa.text.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one forward call feeds the language model: a stream of rows, and CASA images attached between
 * them.
 * <ul>
 *   <li>{@code tokens[r]}: the token id of row r, or −1 for a row that is not a text token (an image
 *       token spliced into the stream). Logits ({@link LogitsMode#ALL}) are returned for rows with an id.</li>
 *   <li>{@code embeddingRows}/{@code embeddings}: rows whose input embedding is given instead of looked up
 *       (sorted; row {@code embeddingRows[i]} takes {@code embeddings[i·d, (i+1)·d)}). Rows with id −1 must
 *       be among them. HF's placeholder fusion gives image features for placeholder ids this way.</li>
 *   <li>{@code positions}: {@code rows × axes} position ids (axes = 3 for M-RoPE), or null for the
 *       sequential positions that continue the state's ({@link DecoderState#nextPosition()}).</li>
 *   <li>{@code attachments}: images for the CASA layers, at insertion points between rows; they take no
 *       rows and no positions.</li>
 * </ul>
 */
public record DecoderInput(int[] tokens, int[] embeddingRows, float[] embeddings, int[] positions,
                           List<ImageInput> attachments) {

    public DecoderInput {
        if (embeddingRows == null) embeddingRows = new int[0];
        if (embeddings == null) embeddings = new float[0];
        attachments = attachments == null ? List.of() : List.copyOf(attachments);
    }

    /** Text tokens at sequential positions. */
    public static DecoderInput tokens(int... tokens) {
        return new DecoderInput(tokens, null, null, null, null);
    }

    /** Text tokens with CASA images attached. */
    public static DecoderInput withAttachments(int[] tokens, List<ImageInput> images) {
        return new DecoderInput(tokens, null, null, null, images);
    }

    public int rows() { return tokens.length; }

    /** Rows {@code [from, to)} as an input of their own; attachments at {@code to} go with the last chunk only. */
    DecoderInput slice(int from, int to, boolean lastChunk, int hidden, int axes) {
        int[] t = Arrays.copyOfRange(tokens, from, to);
        int lo = lowerBound(embeddingRows, from), hi = lowerBound(embeddingRows, to);
        int[] er = new int[hi - lo];
        for (int i = lo; i < hi; i++) er[i - lo] = embeddingRows[i] - from;
        float[] e = Arrays.copyOfRange(embeddings, lo * hidden, hi * hidden);
        int[] p = positions == null ? null : Arrays.copyOfRange(positions, from * axes, to * axes);
        List<ImageInput> a = new ArrayList<>();
        for (ImageInput img : attachments) {
            if (img.insertAt() >= from && (img.insertAt() < to || (lastChunk && img.insertAt() == to))) a.add(img.at(img.insertAt() - from));
        }
        return new DecoderInput(t, er, e, p, a);
    }

    private static int lowerBound(int[] sorted, int value) {
        int i = Arrays.binarySearch(sorted, value);
        if (i < 0) return -i - 1;
        while (i > 0 && sorted[i - 1] == value) i--;
        return i;
    }
}
