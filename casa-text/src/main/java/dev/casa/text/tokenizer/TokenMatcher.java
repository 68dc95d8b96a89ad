package dev.casa.text.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text the way HF's AddedVocabulary does: an Aho-Corasick scan with
 * leftmost-longest matches, then the single_word / lstrip / rstrip rules of each token.
 */
final class TokenMatcher {
    /** A span of the text: an added token ({@code tokenId >= 0}) or text for the model ({@code -1}). */
    record Segment(int start, int end, int tokenId) {}

    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;
    private final java.util.BitSet firstChars = new java.util.BitSet(); // quick rejection of most positions

    /** @param patterns the string each token is matched as (its content, normalized for normalized tokens) */
    TokenMatcher(List<AddedToken> tokens, List<String> patterns) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (p.isEmpty()) continue;
            firstChars.set(p.charAt(0));
            Node node = root;
            for (int k = 0; k < p.length(); k++) node = node.children.computeIfAbsent(p.charAt(k), c -> new Node());
            if (node.token == null) node.token = tokens.get(i); // as Aho-Corasick: the first pattern wins a tie
        }
        empty = root.children.isEmpty();
    }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (empty || text.isEmpty()) {
            if (!text.isEmpty()) out.add(new Segment(0, text.length(), -1));
            return out;
        }
        int startOffset = 0;
        int i = 0;
        while (i < text.length()) {
            if (!firstChars.get(text.charAt(i))) { i++; continue; }
            // Longest token starting at i.
            Node node = root;
            AddedToken found = null;
            int foundEnd = -1;
            for (int k = i; k < text.length(); k++) {
                node = node.children.get(text.charAt(k));
                if (node == null) break;
                if (node.token != null) { found = node.token; foundEnd = k + 1; }
            }
            if (found == null) { i++; continue; }
            int start = i, stop = foundEnd;
            i = foundEnd; // non-overlapping scan continues after the match even if it is discarded
            if (found.singleWord()) {
                boolean startSpace = start == 0 || !CharClasses.isAlphanumeric(text.codePointBefore(start));
                boolean stopSpace = stop == text.length() || !CharClasses.isAlphanumeric(text.codePointAt(stop));
                if (!startSpace || !stopSpace) continue;
            }
            if (found.lstrip()) {
                int s = start;
                while (s > 0 && CharClasses.isWhitespace(text.codePointBefore(s))) s -= Character.charCount(text.codePointBefore(s));
                start = Math.max(s, startOffset);
            }
            if (found.rstrip()) {
                while (stop < text.length() && CharClasses.isWhitespace(text.codePointAt(stop))) {
                    stop += Character.charCount(text.codePointAt(stop));
                }
            }
            if (startOffset < start) out.add(new Segment(startOffset, start, -1));
            out.add(new Segment(start, stop, found.id()));
            startOffset = stop;
        }
        if (startOffset < text.length()) out.add(new Segment(startOffset, text.length(), -1));
        return out;
    }
}
