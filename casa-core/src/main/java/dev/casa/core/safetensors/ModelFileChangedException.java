package dev.casa.core.safetensors;

import java.nio.file.Path;

/**
 * A mapped weights file changed on disk after it was loaded ({@link TensorStore#checkIntact()}).
 * The loaded model must be closed and loaded again.
 */
public final class ModelFileChangedException extends SafetensorsException {

    /** How the file changed. */
    public enum Change {
        /** Truncated or extended in place: reading the mapping past the new end kills the JVM (SIGBUS). */
        RESIZED,
        /** Written in place at the same size: the mapping now shows the new, possibly half-written, bytes. */
        MODIFIED,
        /** Another file now has the path (renamed over it): the mapped file itself is intact but stale. */
        REPLACED,
        /** The path no longer exists: the mapped file itself is intact but deleted. */
        REMOVED
    }

    private final Path path;
    private final Change change;

    ModelFileChangedException(Path path, Change change, String detail) {
        super(path + " changed on disk since it was loaded (" + detail + "): reload the model");
        this.path = path;
        this.change = change;
    }

    public Path path() { return path; }

    public Change change() { return change; }

    /**
     * Whether the loaded weights are still the bytes that were loaded ({@link Change#REPLACED},
     * {@link Change#REMOVED}): serving on is safe, though from a model no longer on disk.
     */
    public boolean loadedWeightsIntact() { return change == Change.REPLACED || change == Change.REMOVED; }
}
