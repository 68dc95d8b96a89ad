package dev.casa.text.tokenizer;

/**
 * Finds UTF-16 surrogates without their pair. Such text is not Unicode: UTF-8 cannot encode it (Java
 * would silently write '?'), and HF's tokenizers cannot receive it (Python refuses to encode it,
 * serde_json refuses it in tokenizer.json).
 */
final class LoneSurrogates {
    private LoneSurrogates() {}

    /** The index of the first lone surrogate in {@code s}, or -1. */
    static int find(CharSequence s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) i++;
                else return i;
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** "lone surrogate U+D83D at index 5". */
    static String describe(CharSequence s, int index) {
        return String.format("lone surrogate U+%04X at index %d", (int) s.charAt(index), index);
    }
}
