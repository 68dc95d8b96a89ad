package dev.casa.text.prompt.jinja;

/**
 * Substring search in linear time. {@link String#indexOf(String)} is quadratic in the worst case
 * (haystack length × needle length), which a template could use to run for hours on two long
 * strings; short needles keep the fast intrinsic, long ones use Knuth-Morris-Pratt.
 */
final class TextSearch {
    /** Up to this needle length the intrinsic's worst case is a small multiple of linear. */
    private static final int SHORT_NEEDLE = 32;

    private final String needle;
    private final int[] failure; // KMP failure function; null for short needles

    TextSearch(String needle) {
        this.needle = needle;
        this.failure = needle.length() <= SHORT_NEEDLE ? null : failureFunction(needle);
    }

    static int indexOf(String haystack, String needle, int from) {
        return new TextSearch(needle).in(haystack, from);
    }

    static boolean contains(String haystack, String needle) { return indexOf(haystack, needle, 0) >= 0; }

    /** The first index at or after {@code from} where the needle occurs in {@code haystack}, or -1. */
    int in(String haystack, int from) {
        if (failure == null) return haystack.indexOf(needle, from);
        int m = needle.length(), k = 0;
        for (int i = Math.max(0, from); i < haystack.length(); i++) {
            char c = haystack.charAt(i);
            while (k > 0 && needle.charAt(k) != c) k = failure[k - 1];
            if (needle.charAt(k) == c) k++;
            if (k == m) return i - m + 1;
        }
        return -1;
    }

    private static int[] failureFunction(String p) {
        int[] f = new int[p.length()];
        for (int i = 1, k = 0; i < p.length(); i++) {
            while (k > 0 && p.charAt(i) != p.charAt(k)) k = f[k - 1];
            if (p.charAt(i) == p.charAt(k)) k++;
            f[i] = k;
        }
        return f;
    }
}
