package dev.casa.text.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HF's BPE model: a word is split into characters (or byte-fallback / unknown tokens), then the
 * adjacent pair with the lowest merge rank is merged until no known pair is left.
 */
final class BpeModel {
    private static final int CACHE_LIMIT = 100_000;
    private static final int CACHED_WORD_MAX_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PairRanks ranks;
    private final int[] mergeResult;   // rank -> id of the merged token
    private final int unkId;           // -1 without unk_token
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final int[] byteTokens;    // byte -> id of <0xXX>, or -1
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    record Options(String unkToken, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges,
                   String continuingSubwordPrefix, String endOfWordSuffix) {}

    BpeModel(Map<String, Integer> vocab, List<String[]> merges, Options options) {
        this.vocab = new HashMap<>(vocab);
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.idToToken = new String[maxId + 1];
        vocab.forEach((token, id) -> {
            if (id < 0) throw new TokenizerException("model.vocab: negative id " + id + " for token '" + token + "'");
            idToToken[id] = token;
        });
        this.fuseUnk = options.fuseUnk();
        this.byteFallback = options.byteFallback();
        this.ignoreMerges = options.ignoreMerges();
        this.continuingSubwordPrefix = options.continuingSubwordPrefix();
        this.endOfWordSuffix = options.endOfWordSuffix();
        if (options.unkToken() != null) {
            Integer id = vocab.get(options.unkToken());
            if (id == null) throw new TokenizerException("model.unk_token '" + options.unkToken() + "' is not in the vocabulary");
            unkId = id;
        } else {
            unkId = -1;
        }
        byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.format("<0x%02X>", b));
            byteTokens[b] = id == null ? -1 : id;
        }
        int prefixLength = continuingSubwordPrefix == null ? 0 : continuingSubwordPrefix.length();
        ranks = new PairRanks(merges.size());
        mergeResult = new int[merges.size()];
        for (int rank = 0; rank < merges.size(); rank++) {
            String a = merges.get(rank)[0], b = merges.get(rank)[1];
            int left = idOf(a, rank), right = idOf(b, rank);
            // As HF: the merged token drops the continuing-subword prefix of the right part.
            String merged = a + (b.length() >= prefixLength ? b.substring(prefixLength) : "");
            mergeResult[rank] = idOf(merged, rank);
            ranks.put(left, right, rank);
        }
    }

    private int idOf(String token, int rank) {
        Integer id = vocab.get(token);
        if (id == null) throw new TokenizerException("model.merges[" + rank + "]: token '" + token + "' is not in the vocabulary");
        return id;
    }

    /** Id of {@code token}, or -1. */
    int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** Token text of {@code id}, or null. */
    String token(int id) { return id >= 0 && id < idToToken.length ? idToToken[id] : null; }

    /** One more than the largest id. */
    int size() { return idToToken.length; }

    /** The number of vocabulary entries (HF's get_vocab_size). */
    int entries() { return vocab.size(); }

    /** Appends the ids of one pre-tokenized word. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) { out.add(id); return; }
        }
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = mergeWord(word);
            if (word.length() <= CACHED_WORD_MAX_LENGTH) {
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] mergeWord(String word) {
        IntList symbols = new IntList(word.length());
        int pendingUnk = 0; // 0: none, else how many unknowns are pending (fused: at most 1)
        for (int i = 0; i < word.length(); ) {
            int c = word.codePointAt(i);
            int end = i + Character.charCount(c);
            String s = word.substring(i, end);
            if (i > 0 && continuingSubwordPrefix != null) s = continuingSubwordPrefix + s;
            if (end == word.length() && endOfWordSuffix != null) s = s + endOfWordSuffix;
            i = end;
            Integer id = vocab.get(s);
            if (id != null) {
                if (pendingUnk > 0) { symbols.add(unkId); pendingUnk = 0; }
                symbols.add(id);
                continue;
            }
            if (byteFallback && appendBytes(s, symbols)) continue; // as HF: a pending unk is not flushed here
            if (unkId >= 0) {
                if (pendingUnk > 0 && !fuseUnk) symbols.add(unkId);
                pendingUnk = 1;
            }
        }
        if (pendingUnk > 0) symbols.add(unkId);
        return merge(symbols.toArray());
    }

    private boolean appendBytes(String s, IntList symbols) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteTokens[b & 0xFF] < 0) return false;
        for (byte b : bytes) symbols.add(byteTokens[b & 0xFF]);
        return true;
    }

    /**
     * Merges by rank over a linked list of symbols, with a heap of (rank, position) keys; stale
     * heap entries are recognised by checking the pair still merges into the same token.
     */
    private int[] merge(int[] ids) {
        int n = ids.length;
        if (n < 2) return ids;
        int[] next = new int[n], prev = new int[n];
        boolean[] removed = new boolean[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) {
                int rank = ranks.rank(ids[i], ids[i + 1]);
                if (rank >= 0) heap.append(((long) rank << 32) | i);
            }
        }
        heap.heapify();
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32), pos = (int) top;
            if (removed[pos] || next[pos] < 0) continue;
            int right = next[pos];
            int current = ranks.rank(ids[pos], ids[right]);
            if (current < 0 || mergeResult[current] != mergeResult[rank]) continue;
            ids[pos] = mergeResult[rank];
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) push(heap, ids[prev[pos]], ids[pos], prev[pos]);
            if (next[pos] >= 0) push(heap, ids[pos], ids[next[pos]], pos);
        }
        int count = 0;
        for (int i = 0; i < n; i++) if (!removed[i]) ids[count++] = ids[i];
        return Arrays.copyOf(ids, count);
    }

    private void push(LongHeap heap, int left, int right, int pos) {
        int rank = ranks.rank(left, right);
        if (rank >= 0) heap.push(((long) rank << 32) | pos);
    }
}
