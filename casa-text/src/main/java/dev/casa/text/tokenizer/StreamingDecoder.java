package dev.casa.text.tokenizer;

import java.util.Arrays;

/**
 * Decodes ids fed one at a time, emitting only complete text: never half a UTF-8 character.
 * The concatenation of everything {@link #push} and {@link #finish} return equals
 * {@code tokenizer.decode(allIds, skipSpecialTokens)}.
 *
 * <p>As HF's DecodeStream: it decodes a short window of recent ids and emits what the newest
 * ids added to the window's text, so position-dependent decoder steps (a leading space
 * stripped from the first token) apply exactly as in a full decode. Not thread-safe.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] window = new int[16];
    private int size;            // ids in the window
    private int prefixIds;       // the window's first ids, already emitted, kept as context
    private String prefixText = "";

    StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /**
     * Adds one id; returns the new complete text (possibly empty).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String push(int id) {
        tokenizer.token(id); // validates the id
        if (size == window.length) window = Arrays.copyOf(window, size * 2);
        window[size++] = id;
        if (tokenizer.endsOpenByteRun(id)) return "";
        String text = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        if (text.length() <= prefixText.length() || text.endsWith("\uFFFD")) return "";
        if (!text.startsWith(prefixText)) {
            throw new IllegalStateException("decoder is not prefix-stable: '" + text + "' after '" + prefixText + "'");
        }
        String fresh = text.substring(prefixText.length());
        // Keep the ids emitted before this step as the next window's context.
        int keepFrom = prefixIds;
        System.arraycopy(window, keepFrom, window, 0, size - keepFrom);
        size -= keepFrom;
        prefixIds = size;
        prefixText = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        return fresh;
    }

    /** The text still held back at the end of the stream (e.g. an incomplete byte sequence). */
    public String finish() {
        String text = tokenizer.decode(Arrays.copyOf(window, size), skipSpecialTokens);
        String rest = text.startsWith(prefixText) ? text.substring(prefixText.length()) : "";
        size = 0;
        prefixIds = 0;
        prefixText = "";
        return rest;
    }
}
