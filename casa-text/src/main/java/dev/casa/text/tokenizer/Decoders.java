package dev.casa.text.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The decoders of HF tokenizers this library supports. */
final class Decoders {
    private Decoders() {}

    /** Whether a ByteFallback step is in the chain (its output for a byte run depends on the whole run). */
    static boolean hasByteFallback(TokenDecoder d) {
        if (d instanceof ByteFallback) return true;
        if (d instanceof Sequence seq) return seq.steps().stream().anyMatch(Decoders::hasByteFallback);
        return false;
    }

    record Sequence(List<TokenDecoder> steps) implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            for (TokenDecoder d : steps) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }

    /** Byte-level characters back to bytes, all tokens joined, then lossy UTF-8. */
    record ByteLevel() implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String t : tokens) {
                byte[] mapped = new byte[t.length()];
                int n = 0;
                boolean all = true;
                for (int i = 0; i < t.length(); ) {
                    int c = t.codePointAt(i);
                    i += Character.charCount(c);
                    int b = ByteLevelAlphabet.byteOf(c);
                    if (b < 0) { all = false; break; }
                    mapped[n++] = (byte) b;
                }
                // As HF: a token with a character outside the alphabet is taken as its own UTF-8 bytes.
                if (all) bytes.write(mapped, 0, n);
                else bytes.writeBytes(t.getBytes(StandardCharsets.UTF_8));
            }
            byte[] all = bytes.toByteArray();
            return List.of(Utf8.lossy(all, all.length));
        }
    }

    /** The replacement character becomes a space; in the first token it is dropped (unless "never"). */
    record Metaspace(int replacement, PreTokenizers.PrependScheme scheme) implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int k = 0; k < tokens.size(); k++) {
                String t = tokens.get(k);
                StringBuilder sb = new StringBuilder(t.length());
                for (int i = 0; i < t.length(); ) {
                    int c = t.codePointAt(i);
                    i += Character.charCount(c);
                    if (c != replacement) sb.appendCodePoint(c);
                    else if (k != 0 || scheme == PreTokenizers.PrependScheme.NEVER) sb.append(' ');
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    /** Runs of {@code <0xXX>} tokens become their UTF-8 text, or one U+FFFD per byte if invalid. */
    record ByteFallback() implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            byte[] pending = new byte[16];
            int n = 0;
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    if (n == pending.length) pending = java.util.Arrays.copyOf(pending, n * 2);
                    pending[n++] = (byte) b;
                    continue;
                }
                flush(pending, n, out);
                n = 0;
                out.add(t);
            }
            flush(pending, n, out);
            return out;
        }

        private static void flush(byte[] pending, int n, List<String> out) {
            if (n == 0) return;
            String s = Utf8.strict(pending, n);
            if (s != null) out.add(s);
            else for (int i = 0; i < n; i++) out.add("\uFFFD");
        }

        /** The byte of a {@code <0xXX>} token, or -1. */
        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    /** Joins all tokens into one. */
    record Fuse() implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) { return List.of(String.join("", tokens)); }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters per token. */
    record Strip(int content, int start, int stop) implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0;
                for (int i = 0; i < Math.min(start, cps.length) && cps[i] == content; i++) from = i + 1;
                int to = cps.length;
                for (int i = 0; i < stop && cps.length - i - 1 >= 0 && cps[cps.length - i - 1] == content; i++) {
                    to = cps.length - i - 1;
                }
                out.add(to > from ? new String(cps, from, to - from) : "");
            }
            return out;
        }
    }

    /** Replaces a literal ({@code literal != null}) or regex pattern in every token. */
    record Replace(String literal, Pattern pattern, String content) implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            String replacement = Matcher.quoteReplacement(content);
            for (String t : tokens) {
                out.add(literal != null ? t.replace(literal, content) : pattern.matcher(t).replaceAll(replacement));
            }
            return out;
        }
    }

    /** HF BPEDecoder: the end-of-word suffix becomes a space, except in the last token. */
    record BpeSuffix(String suffix) implements TokenDecoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
            }
            return out;
        }
    }
}
