package dev.casa.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The folders whose files requests may name ({@code --allow-dir}). A path is accepted only if it is
 * absolute, lies inside an allowed folder both as written (after removing {@code .} and {@code ..})
 * and once every symbolic link is resolved, and is a regular file: no traversal, no link escaping the
 * folder, no FIFOs or devices. Refusals for paths outside the folders say nothing about whether the
 * file exists.
 */
final class AllowedDirs {
    private record Root(Path written, Path real) {}

    private final List<Root> roots = new ArrayList<>();

    AllowedDirs(List<Path> dirs) {
        for (Path d : dirs) {
            Path abs = d.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) throw new IllegalArgumentException("--allow-dir " + d + ": not a folder");
            try {
                roots.add(new Root(abs, abs.toRealPath()));
            } catch (IOException e) {
                throw new IllegalArgumentException("--allow-dir " + d + ": " + e.getMessage(), e);
            }
        }
    }

    boolean isEmpty() { return roots.isEmpty(); }

    /** Reads the file {@code text} names (a path or a {@code file:} URI), at most {@code maxBytes}. */
    byte[] read(String param, String text, long maxBytes) {
        if (roots.isEmpty()) {
            throw ApiException.invalid(param, "local_files_disabled",
                    "Local image paths are not allowed on this server (start it with --allow-dir DIR); send the image as a data: URI.");
        }
        Path path;
        try {
            path = text.regionMatches(true, 0, "file:", 0, 5) ? Path.of(java.net.URI.create(text)) : Path.of(text);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw ApiException.invalid(param, "invalid_path", "Invalid local image path: " + e.getMessage());
        }
        if (!path.isAbsolute()) throw ApiException.invalid(param, "invalid_path", "A local image path must be absolute: " + text);
        Path normal = path.normalize();
        if (roots.stream().noneMatch(r -> normal.startsWith(r.written()) || normal.startsWith(r.real()))) throw outside(param, text);
        Path real;
        try {
            real = normal.toRealPath();
        } catch (NoSuchFileException e) {
            throw ApiException.invalid(param, "file_not_found", "No such file: " + text);
        } catch (IOException e) {
            throw ApiException.invalid(param, "file_not_readable", "Cannot read " + text + ": " + e.getMessage());
        }
        if (roots.stream().noneMatch(r -> real.startsWith(r.real()))) throw outside(param, text);
        if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw ApiException.invalid(param, "file_not_readable", "Not a regular file: " + text);
        }
        try {
            long size = Files.size(real);
            if (size > maxBytes) throw ApiException.invalid(param, "image_too_large", "The file " + text + " has " + size + " bytes, more than the limit of " + maxBytes + ".");
            return Files.readAllBytes(real);
        } catch (IOException e) {
            throw ApiException.invalid(param, "file_not_readable", "Cannot read " + text + ": " + e.getMessage());
        }
    }

    private static ApiException outside(String param, String text) {
        return ApiException.invalid(param, "path_not_allowed", "The path " + text + " is outside the folders this server may read (--allow-dir).");
    }
}
