package dev.casa.text.generate;

import java.util.List;

/**
 * Finds the first stop string in text that arrives in pieces: the first to be completed, as the text
 * grows character by character. {@link #push} returns the text that is
 * safe to show: everything before a match, minus a held-back tail that could still be the start of
 * a stop string. No released character can belong to a match, because the longest suffix that is a
 * prefix of some stop string is always held back. Not thread-safe; one per generation.
 */
public final class StopStringMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    public StopStringMatcher(List<String> stops) {
        if (stops.isEmpty()) throw new IllegalArgumentException("no stop strings");
        for (String s : stops) if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
        this.stops = List.copyOf(stops);
    }

    /** Adds a piece of text; returns what can be released now (empty after a match). */
    public String push(String piece) {
        if (matched) return "";
        pending.append(piece);
        // The match that completes first (then the one that starts first): where a generation fed
        // one character at a time would have stopped, so the result does not depend on the pieces.
        int first = -1, firstEnd = Integer.MAX_VALUE;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at < 0) continue;
            int end = at + s.length();
            if (end < firstEnd || (end == firstEnd && at < first)) {
                first = at;
                firstEnd = end;
            }
        }
        if (first >= 0) {
            matched = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int release = pending.length() - heldBack();
        String out = pending.substring(0, release);
        pending.delete(0, release);
        return out;
    }

    /** The length of the longest suffix of the pending text that is a proper prefix of a stop string. */
    private int heldBack() {
        int best = 0;
        String p = pending.toString();
        int n = p.length();
        for (String s : stops) {
            for (int k = Math.min(n, s.length() - 1); k > best; k--) {
                if (p.regionMatches(n - k, s, 0, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }

    /** True once a stop string has been seen. */
    public boolean matched() { return matched; }

    /** At the end of the text: what is still held back (empty after a match). */
    public String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }
}
