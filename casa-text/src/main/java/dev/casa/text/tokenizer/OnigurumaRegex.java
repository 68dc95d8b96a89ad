package dev.casa.text.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the Oniguruma (Ruby syntax) regexes of tokenizer.json with java.util.regex.
 * Both are backtracking engines with leftmost-first alternation, possessive and atomic groups,
 * look-around and scoped flags such as {@code (?i:...)}, so the translation is small:
 * <ul>
 *   <li>{@code \p{Han}}-style script and property names get Java's {@code Is} prefix; {@code \p{^X}} becomes {@code \P{X}};</li>
 *   <li>{@code \h} (a hex digit in Oniguruma, horizontal space in Java) becomes {@code [0-9a-fA-F]};</li>
 *   <li>Unicode classes ({@code \s \w \d}) and case folding, {@code ^ $} at every line, {@code .} not matching {@code \n} only.</li>
 * </ul>
 */
final class OnigurumaRegex {
    private static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.MULTILINE | Pattern.UNIX_LINES;

    private OnigurumaRegex() {}

    static Pattern compile(String onig) {
        String java = translate(onig);
        try {
            return Pattern.compile(java, FLAGS);
        } catch (PatternSyntaxException e) {
            throw new TokenizerException("regex /" + onig + "/ is not supported: " + e.getDescription(), e);
        }
    }

    static String translate(String re) {
        StringBuilder out = new StringBuilder(re.length() + 16);
        int classDepth = 0;
        for (int i = 0; i < re.length(); i++) {
            char c = re.charAt(i);
            if (c == '\\' && i + 1 < re.length()) {
                char e = re.charAt(i + 1);
                if ((e == 'p' || e == 'P') && i + 2 < re.length() && re.charAt(i + 2) == '{') {
                    int close = re.indexOf('}', i + 3);
                    if (close < 0) throw new TokenizerException("regex /" + re + "/: unterminated \\p{");
                    String name = re.substring(i + 3, close);
                    boolean negated = e == 'P';
                    if (name.startsWith("^")) { negated = !negated; name = name.substring(1); }
                    out.append('\\').append(negated ? 'P' : 'p').append('{').append(javaPropertyName(name)).append('}');
                    i = close;
                } else if (e == 'h' || e == 'H') {
                    String hex = "0-9a-fA-F";
                    if (classDepth > 0 && e == 'h') out.append(hex);
                    else out.append(e == 'h' ? "[" + hex + "]" : "[^" + hex + "]");
                    i++;
                } else {
                    out.append(c).append(e);
                    i++;
                }
                continue;
            }
            if (c == '[') classDepth++;
            else if (c == ']' && classDepth > 0) classDepth--;
            out.append(c);
        }
        return out.toString();
    }

    /** General categories (L, Lu, N...) pass as they are; scripts and binary properties need "Is". */
    private static String javaPropertyName(String name) {
        if (name.length() <= 2 || name.startsWith("Is") || name.startsWith("In") || name.contains("=")) return name;
        return "Is" + name.replace("_", "");
    }
}
