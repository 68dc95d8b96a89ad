package dev.casa.text.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** HF's SplitDelimiterBehavior: what becomes of the matched delimiters when a piece is split. */
enum SplitBehavior {
    REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

    static SplitBehavior fromJson(String name) {
        return switch (name) {
            case "Removed" -> REMOVED;
            case "Isolated" -> ISOLATED;
            case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> MERGED_WITH_NEXT;
            case "Contiguous" -> CONTIGUOUS;
            default -> throw new TokenizerException("unsupported split behavior '" + name + "'");
        };
    }

    /**
     * Turns a covering list of spans (start, end, isMatch), in order, into the kept pieces
     * (start, end pairs, possibly empty; the caller drops empty ones).
     */
    List<int[]> apply(List<int[]> spans) {
        List<int[]> out = new ArrayList<>(spans.size());
        switch (this) {
            case ISOLATED -> { for (int[] s : spans) out.add(new int[] {s[0], s[1]}); }
            case REMOVED -> { for (int[] s : spans) if (s[2] == 0) out.add(new int[] {s[0], s[1]}); }
            case CONTIGUOUS -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] != 0;
                    if (match == previousMatch && !out.isEmpty()) out.getLast()[1] = s[1];
                    else out.add(new int[] {s[0], s[1]});
                    previousMatch = match;
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                boolean previousMatch = false;
                for (int[] s : spans) {
                    boolean match = s[2] != 0;
                    if (match && !previousMatch && !out.isEmpty()) out.getLast()[1] = s[1];
                    else out.add(new int[] {s[0], s[1]});
                    previousMatch = match;
                }
            }
            case MERGED_WITH_NEXT -> {
                boolean previousMatch = false;
                for (int k = spans.size() - 1; k >= 0; k--) {
                    int[] s = spans.get(k);
                    boolean match = s[2] != 0;
                    if (match && !previousMatch && !out.isEmpty()) out.getLast()[0] = s[0];
                    else out.add(new int[] {s[0], s[1]});
                    previousMatch = match;
                }
                java.util.Collections.reverse(out);
            }
        }
        return out;
    }
}
