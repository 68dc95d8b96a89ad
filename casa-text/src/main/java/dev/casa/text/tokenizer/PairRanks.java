package dev.casa.text.tokenizer;

import java.util.Arrays;

/** Open-addressing map from a token-id pair to its merge rank (HF: later duplicates win). */
final class PairRanks {
    private final long[] keys;
    private final int[] ranks;
    private final int mask;

    PairRanks(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        ranks = new int[cap];
        Arrays.fill(keys, -1L);
        mask = cap - 1;
    }

    private static long key(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        h ^= h >>> 29;
        int i = (int) (h ^ (h >>> 32)) & mask;
        while (keys[i] != -1L && keys[i] != key) i = (i + 1) & mask;
        return i;
    }

    void put(int left, int right, int rank) {
        int i = slot(key(left, right));
        keys[i] = key(left, right);
        ranks[i] = rank;
    }

    /** The rank of merging {@code left} then {@code right}, or -1. */
    int rank(int left, int right) {
        int i = slot(key(left, right));
        return keys[i] == -1L ? -1 : ranks[i];
    }
}
