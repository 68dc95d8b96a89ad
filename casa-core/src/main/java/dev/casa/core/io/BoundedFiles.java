package dev.casa.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;

/**
 * Reads files named by a user or a model folder without trusting them: only regular files (a FIFO
 * would block the read forever, {@code /dev/zero} would never end, a directory is a mistake), at
 * most a given number of bytes (checked before anything is allocated, and again while reading, for
 * files that grow or whose size the file system does not report, as in {@code /proc}).
 *
 * <p>Every failure is an {@link IOException} whose message is one complete line naming the file's
 * role, its path and the problem, e.g.
 * {@code "config.json /m/config.json: a named pipe (FIFO), not a regular file"} or
 * {@code "tokenizer.json /m/tokenizer.json: 70000000 bytes, over the limit of 67108864 bytes for tokenizer.json"};
 * callers can pass it on as it is.
 */
public final class BoundedFiles {
    private BoundedFiles() {}

    /**
     * The content of {@code path} as UTF-8 text.
     *
     * @param maxBytes the largest file accepted, in bytes
     * @param what     the file's role for messages, e.g. {@code "tokenizer.json"}
     * @throws IOException the file is missing, unreadable, not a regular file, a symbolic link loop,
     *                     larger than {@code maxBytes}, or not valid UTF-8
     */
    public static String readString(Path path, long maxBytes, String what) throws IOException {
        byte[] bytes = readAllBytes(path, maxBytes, what);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(describe(what, path) + "not valid UTF-8 text", e);
        }
    }

    /** The bytes of {@code path}; refused as {@link #readString} refuses. */
    public static byte[] readAllBytes(Path path, long maxBytes, String what) throws IOException {
        if (maxBytes < 0 || maxBytes > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("maxBytes " + maxBytes);
        BasicFileAttributes attrs = requireRegularFile(path, what);
        if (attrs.size() > maxBytes) throw overLimit(what, path, attrs.size() + " bytes", maxBytes);
        // Opened only now that it is known to be a regular file: opening a FIFO blocks.
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > maxBytes) throw overLimit(what, path, size + " bytes", maxBytes);
            // Read up to one byte past the limit: the file may be longer than its reported size.
            byte[] buf = new byte[(int) Math.min(maxBytes + 1, Math.max(size + 1, 8192))];
            int n = 0;
            while (true) {
                if (n == buf.length) {
                    if (n > maxBytes) throw overLimit(what, path, "more than " + maxBytes + " bytes", maxBytes);
                    buf = Arrays.copyOf(buf, (int) Math.min(maxBytes + 1, 2L * buf.length));
                }
                int r = ch.read(ByteBuffer.wrap(buf, n, buf.length - n));
                if (r < 0) break;
                n += r;
            }
            if (n > maxBytes) throw overLimit(what, path, "more than " + maxBytes + " bytes", maxBytes);
            return n == buf.length ? buf : Arrays.copyOf(buf, n);
        } catch (FileSystemException e) {
            throw translate(e, what, path);
        }
    }

    /**
     * The attributes of {@code path} (following links) if it is a regular file; otherwise an
     * {@link IOException} saying what it is: missing, a directory, a FIFO, a device, a symbolic link loop.
     */
    public static BasicFileAttributes requireRegularFile(Path path, String what) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (FileSystemException e) {
            throw translate(e, what, path);
        }
        if (attrs.isRegularFile()) return attrs;
        throw new IOException(describe(what, path) + kind(path, attrs) + ", not a regular file");
    }

    /** One line for a file system error, with the symbolic link loop said plainly. */
    public static IOException translate(FileSystemException e, String what, Path path) {
        String reason = e.getReason() == null ? "" : e.getReason();
        String problem;
        if (e instanceof NoSuchFileException) problem = "no such file";
        else if (e instanceof AccessDeniedException) problem = "permission denied";
        // Linux and macOS report ELOOP as "Too many levels of symbolic links", which the JDK extends with
        // "or unable to access attributes of symbolic link"; a loop is by far the common cause.
        else if (reason.startsWith("Too many levels of symbolic links")) problem = "symbolic link loop (too many levels of symbolic links)";
        else problem = reason.isEmpty() ? e.toString() : reason;
        return new IOException(describe(what, path) + problem, e);
    }

    private static String describe(String what, Path path) { return what + " " + path + ": "; }

    private static IOException overLimit(String what, Path path, String size, long maxBytes) {
        return new IOException(describe(what, path) + size + ", over the limit of " + maxBytes + " bytes for " + what);
    }

    /** What a non-regular file is, from its POSIX mode where the file system reports one. */
    private static String kind(Path path, BasicFileAttributes attrs) {
        if (attrs.isDirectory()) return "a directory";
        try {
            int type = ((Integer) Files.getAttribute(path, "unix:mode")) & 0170000;
            return switch (type) {
                case 0010000 -> "a named pipe (FIFO)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }
}
