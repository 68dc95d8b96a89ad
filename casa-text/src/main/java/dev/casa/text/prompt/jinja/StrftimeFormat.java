package dev.casa.text.prompt.jinja;

import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The strftime directives chat templates use for {@code strftime_now} (dates in system prompts). */
final class StrftimeFormat {
    private StrftimeFormat() {}

    static DateTimeFormatter toFormatter(String fmt) {
        StringBuilder p = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                literal.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            if (d == '%') {
                literal.append('%');
                continue;
            }
            flushLiteral(p, literal);
            p.append(switch (d) {
                case 'd' -> "dd";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'B' -> "MMMM";
                case 'b' -> "MMM";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'A' -> "EEEE";
                case 'a' -> "EEE";
                default -> throw new TemplateException("unsupported strftime directive %" + d);
            });
        }
        flushLiteral(p, literal);
        return DateTimeFormatter.ofPattern(p.toString(), Locale.ENGLISH);
    }

    /** Literal text as one quoted run: DateTimeFormatter reserves letters and [ ] # { } ' outside quotes. */
    private static void flushLiteral(StringBuilder pattern, StringBuilder literal) {
        if (literal.isEmpty()) return;
        pattern.append('\'').append(literal.toString().replace("'", "''")).append('\'');
        literal.setLength(0);
    }
}
