package dev.casa.cli;

import java.io.BufferedReader;
import java.io.IOException;

/**
 * Reads text lines with a length limit: {@code BufferedReader.readLine} keeps a line without end (a file or a
 * stream without line breaks, such as {@code /dev/zero}) until the heap is full.
 */
final class BoundedLines {
    private BoundedLines() {}

    /** A line over the limit; nothing of it beyond the limit was read. */
    static final class TooLong extends IOException {
        TooLong(int maxChars) { super("longer than " + maxChars + " characters"); }
    }

    /** The next line (ended by \n, \r or \r\n, as {@code readLine}), or null at the end of the input. */
    static String readLine(BufferedReader reader, int maxChars) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = reader.read()) >= 0) {
            if (c == '\n') return sb.toString();
            if (c == '\r') {
                reader.mark(1);
                if (reader.read() != '\n') reader.reset();
                return sb.toString();
            }
            if (sb.length() == maxChars) throw new TooLong(maxChars);
            sb.append((char) c);
        }
        return sb.isEmpty() ? null : sb.toString();
    }
}
