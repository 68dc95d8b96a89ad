package dev.casa.text.tokenizer;

/** UTF-8 decoding with Rust's {@code String::from_utf8_lossy} semantics. */
final class Utf8 {
    private Utf8() {}

    /** Valid UTF-8, or null. */
    static String strict(byte[] b, int len) {
        StringBuilder sb = new StringBuilder(len);
        return decode(b, len, sb, true) ? sb.toString() : null;
    }

    /** Each maximal invalid subpart becomes one U+FFFD, as Rust (and the Unicode standard) do. */
    static String lossy(byte[] b, int len) {
        StringBuilder sb = new StringBuilder(len);
        decode(b, len, sb, false);
        return sb.toString();
    }

    private static boolean decode(byte[] b, int len, StringBuilder sb, boolean strict) {
        int i = 0;
        while (i < len) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) { sb.append((char) b0); i++; continue; }
            int need;
            int lo = 0x80, hi = 0xBF; // allowed range of the second byte
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; }
            else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2; cp = b0 & 0x0F;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3; cp = b0 & 0x07;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                if (strict) return false;
                sb.append('\uFFFD'); i++; continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                int lower = k == 0 ? lo : 0x80, upper = k == 0 ? hi : 0xBF;
                if (j >= len || (b[j] & 0xFF) < lower || (b[j] & 0xFF) > upper) { ok = false; break; }
                cp = (cp << 6) | (b[j] & 0x3F);
            }
            if (!ok) {
                if (strict) return false;
                sb.append('\uFFFD');
                i = j; // skip the maximal invalid subpart
                continue;
            }
            sb.appendCodePoint(cp);
            i = j;
        }
        return true;
    }
}
