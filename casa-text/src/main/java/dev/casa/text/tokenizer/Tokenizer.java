package dev.casa.text.tokenizer;

import dev.casa.core.io.BoundedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A HF {@code tokenizers} pipeline loaded from {@code tokenizer.json}: added tokens, normalizer,
 * pre-tokenizer, BPE model, post-processor and decoder. Ids equal HF's for the supported
 * components; an unsupported component is a {@link TokenizerException} at load time.
 * Instances are immutable and thread-safe.
 */
public final class Tokenizer {
    private final BpeModel model;
    private final TextNormalizer normalizer;       // null: none
    private final PreTokenizer preTokenizer;       // null: the whole piece is one word
    private final PostProcessor postProcessor;     // null: no special tokens added
    private final TokenDecoder decoder;            // null: tokens joined by spaces, as HF
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final Map<String, AddedToken> addedByContent = new HashMap<>();
    private final TokenMatcher rawMatcher;         // added tokens matched on the input text
    private final TokenMatcher normalizedMatcher;  // added tokens matched on normalized text
    private final int vocabSize;
    private final boolean byteFallbackDecoder;

    Tokenizer(BpeModel model, TextNormalizer normalizer, PreTokenizer preTokenizer,
              PostProcessor postProcessor, TokenDecoder decoder, List<AddedToken> added) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.byteFallbackDecoder = decoder != null && Decoders.hasByteFallback(decoder);
        List<AddedToken> tokens = assignIds(added, model);
        int maxId = model.size() - 1;
        List<AddedToken> raw = new ArrayList<>(), norm = new ArrayList<>();
        List<String> rawPatterns = new ArrayList<>(), normPatterns = new ArrayList<>();
        for (AddedToken t : tokens) {
            addedById.put(t.id(), t);
            addedByContent.put(t.content(), t);
            maxId = Math.max(maxId, t.id());
            if (t.normalized()) {
                norm.add(t);
                // As HF: a normalized token is searched for in its normalized form.
                normPatterns.add(normalizer == null ? t.content() : normalizer.normalize(t.content()));
            } else {
                raw.add(t);
                rawPatterns.add(t.content());
            }
        }
        this.rawMatcher = new TokenMatcher(raw, rawPatterns);
        this.normalizedMatcher = new TokenMatcher(norm, normPatterns);
        this.vocabSize = maxId + 1;
    }

    /**
     * Gives the added tokens their ids as HF does when loading (the ids written in the file are
     * only checked by HF, with a warning): a token already in the model keeps the model's id, the
     * others are numbered after the model's vocabulary. Duplicates and empty tokens are dropped.
     * Returns the special tokens first, then the others (HF's matching order).
     */
    private static List<AddedToken> assignIds(List<AddedToken> fromFile, BpeModel model) {
        Map<String, Integer> ids = new HashMap<>();
        List<AddedToken> specials = new ArrayList<>(), others = new ArrayList<>();
        int maxAdded = -1;
        for (AddedToken t : fromFile) {
            if (t.content().isEmpty() || ids.containsKey(t.content())) continue;
            int id = model.id(t.content());
            if (id < 0) {
                int modelSize = model.entries();
                id = maxAdded < 0 ? modelSize : (maxAdded >= modelSize || modelSize == 0 ? maxAdded + 1 : modelSize);
            }
            ids.put(t.content(), id);
            maxAdded = Math.max(maxAdded, id);
            AddedToken withId = new AddedToken(id, t.content(), t.special(), t.singleWord(), t.lstrip(), t.rstrip(), t.normalized());
            (t.special() ? specials : others).add(withId);
        }
        specials.addAll(others);
        return specials;
    }

    /**
     * Largest {@code tokenizer.json} read by {@link #fromFile(Path)}: 64 MiB. Real ones are 2 to 35 MB
     * (Gemma 3's, with 262,144 tokens, is about 33 MB); the limit keeps a wrong path (a huge file,
     * {@code /dev/zero}) from filling the heap.
     */
    public static final long MAX_FILE_BYTES = 64L << 20;

    /**
     * Loads a {@code tokenizer.json} file of at most {@link #MAX_FILE_BYTES}.
     *
     * @throws TokenizerException the file is missing, unreadable, not a regular file, too large or malformed
     */
    public static Tokenizer fromFile(Path path) {
        return fromFile(path, MAX_FILE_BYTES);
    }

    /** Loads a {@code tokenizer.json} file of at most {@code maxBytes}. */
    public static Tokenizer fromFile(Path path, long maxBytes) {
        String json;
        try {
            json = BoundedFiles.readString(path, maxBytes, "tokenizer.json");
        } catch (IOException e) {
            throw new TokenizerException(e.getMessage(), e);
        }
        try {
            return TokenizerJson.parse(json);
        } catch (TokenizerException e) {
            throw new TokenizerException(path + ": " + e.getMessage(), e);
        }
    }

    /** Parses the text of a {@code tokenizer.json}. */
    public static Tokenizer fromJson(String json) {
        return TokenizerJson.parse(json);
    }

    /**
     * The ids of {@code text}. Added tokens in the text (such as {@code "<s>"}) are always matched;
     * {@code addSpecialTokens} runs the post-processor (HF {@code add_special_tokens=True}).
     *
     * @throws IllegalArgumentException if {@code text} holds a lone UTF-16 surrogate (not Unicode text)
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        int lone = LoneSurrogates.find(text);
        if (lone >= 0) {
            throw new IllegalArgumentException("text to tokenize has a " + LoneSurrogates.describe(text, lone)
                    + ": not valid Unicode (HF tokenizers cannot take it either)");
        }
        IntList ids = new IntList(text.length() / 3 + 4);
        List<Piece> words = new ArrayList<>();
        for (TokenMatcher.Segment raw : rawMatcher.split(text)) {
            if (raw.tokenId() >= 0) { ids.add(raw.tokenId()); continue; }
            String piece = text.substring(raw.start(), raw.end());
            String normalized = normalizer == null ? piece : normalizer.normalize(piece);
            for (TokenMatcher.Segment seg : normalizedMatcher.split(normalized)) {
                if (seg.tokenId() >= 0) { ids.add(seg.tokenId()); continue; }
                Piece p = new Piece(normalized.substring(seg.start(), seg.end()), raw.start() == 0 && seg.start() == 0);
                words.clear();
                if (preTokenizer == null) words.add(p);
                else preTokenizer.preTokenize(p, words);
                for (Piece w : words) model.encode(w.text(), ids);
            }
        }
        int[] out = ids.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(out) : out;
    }

    /**
     * The text of {@code ids}; with {@code skipSpecialTokens} the special added tokens are left out.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = token(id);
            if (skipSpecialTokens && isSpecial(id)) continue;
            tokens.add(t);
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decodeChain(tokens));
    }

    /** A decoder for ids arriving one at a time (streaming generation). */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /**
     * Whether the decoded text of the ids so far may still change with the next id because
     * {@code id} is a byte-fallback token: a run of them decodes to its UTF-8 text, or to one
     * U+FFFD per byte if the whole run is invalid.
     */
    boolean endsOpenByteRun(int id) {
        return byteFallbackDecoder && Decoders.ByteFallback.byteToken(token(id)) >= 0;
    }

    /** The number of ids: one more than the largest id of the model or the added tokens. */
    public int vocabSize() { return vocabSize; }

    /** The id of a token string (an added token or a model token), if any. */
    public OptionalInt tokenId(String token) {
        AddedToken added = addedByContent.get(token);
        if (added != null) return OptionalInt.of(added.id());
        int id = model.id(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * The token string of {@code id} (in the model's alphabet, e.g. "▁the" or "Ġthe").
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String token(int id) {
        AddedToken added = addedById.get(id);
        if (added != null) return added.content();
        String t = model.token(id);
        if (t == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + vocabSize + ")");
        }
        return t;
    }

    /** Whether {@code id} is a special added token (left out by {@code skipSpecialTokens}). */
    public boolean isSpecial(int id) {
        AddedToken added = addedById.get(id);
        return added != null && added.special();
    }
}
