package dev.casa.core.safetensors;

import dev.casa.core.io.BoundedFiles;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One memory-mapped {@code .safetensors} file. The whole file is mapped read-only into a shared
 * {@link Arena} (no copy, no 2 GB limit); every {@link Tensor} is a slice of that mapping.
 * {@link #close()} unmaps the file: a tensor used afterwards throws {@link IllegalStateException}.
 *
 * <p>The file stays open while mapped, and its size, identity (device and inode) and modification
 * time are recorded, so that {@link #checkIntact()} can tell cheaply whether it changed on disk:
 * a mapped file truncated by another process kills the JVM on the next read (SIGBUS), see
 * docs/reliability.md.
 */
public final class SafetensorsFile implements TensorStore {

    private final Path path;
    private final Arena arena;
    private final FileChannel channel;   // kept open: its size() is the size of the mapped file itself
    private final long size;
    private final Object fileKey;         // device and inode where the platform has them, else null
    private final FileTime modified;
    private final Map<String, String> metadata;
    private final TreeMap<String, Tensor> tensors;

    private SafetensorsFile(Path path, Arena arena, Opened opened, Map<String, String> metadata,
                            TreeMap<String, Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.channel = opened.channel;
        this.size = opened.size;
        this.fileKey = opened.attrs.fileKey();
        this.modified = opened.attrs.lastModifiedTime();
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** An open channel with the attributes of the file it reads. */
    private record Opened(FileChannel channel, long size, BasicFileAttributes attrs) {}

    /**
     * Maps and validates the file; every malformation is a {@link SafetensorsException}, and so is a
     * path that is not a regular file (a FIFO would block the open forever) or a symbolic link loop.
     */
    public static SafetensorsFile open(Path path) {
        Opened opened = openChannel(path);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = map(opened, path, arena);
            SafetensorsHeader header = SafetensorsHeader.read(file, path.toString());
            TreeMap<String, Tensor> tensors = new TreeMap<>();
            QuantizedTensors.checkKeysNameTensors(header.metadata(), header.entries(), path.toString());
            for (SafetensorsHeader.Entry e : header.entries()) {
                MemorySegment data = file.asSlice(header.dataStart() + e.begin(), e.end() - e.begin());
                tensors.put(e.name(), QuantizedTensors.tensor(e, data, header.metadata(), path.toString()));
            }
            return new SafetensorsFile(path, arena, opened, header.metadata(), tensors);
        } catch (RuntimeException | Error e) {
            arena.close();
            closeQuietly(opened.channel);
            throw e;
        }
    }

    private static Opened openChannel(Path path) {
        BasicFileAttributes before;
        try {
            before = BoundedFiles.requireRegularFile(path, "safetensors file");
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new SafetensorsException(path + ": file not found", e);
            throw new SafetensorsException(e.getMessage(), e);
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
            long size = channel.size();
            // The attributes must describe the file the channel has open, not one renamed over it meanwhile.
            BasicFileAttributes after = Files.readAttributes(path, BasicFileAttributes.class);
            if (size != before.size() || !Objects.equals(before.fileKey(), after.fileKey())) {
                throw new SafetensorsException(path + ": file changed while it was being opened");
            }
            return new Opened(channel, size, after);
        } catch (FileSystemException e) {
            closeQuietly(channel);
            throw new SafetensorsException(BoundedFiles.translate(e, "safetensors file", path).getMessage(), e);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SafetensorsException(path + ": cannot open file: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static MemorySegment map(Opened opened, Path path, Arena arena) {
        if (opened.size < 8) {
            throw new SafetensorsException(path + ": file is " + opened.size
                    + " bytes, too short for the 8-byte header length");
        }
        try {
            // The mapping is released when the arena closes.
            return opened.channel.map(FileChannel.MapMode.READ_ONLY, 0, opened.size, arena);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot map file: " + e, e);
        }
    }

    /**
     * Checks, without touching the mapped memory, that the file is still the one that was loaded:
     * same size (of the open file itself, so a truncation is seen even after a rename), and at its
     * path the same file (device and inode) with the same modification time. Costs two system calls.
     *
     * @throws ModelFileChangedException if the file was resized, modified, replaced or removed
     * @throws IllegalStateException     if this store is closed
     */
    @Override
    public void checkIntact() {
        if (!arena.scope().isAlive()) throw new IllegalStateException(path + " is closed");
        long now;
        try {
            now = channel.size();
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot check the file: " + e, e);
        }
        if (now != size) {
            throw new ModelFileChangedException(path, ModelFileChangedException.Change.RESIZED,
                    "size " + size + " → " + now + " bytes");
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new ModelFileChangedException(path, ModelFileChangedException.Change.REMOVED, "removed");
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot check the file: " + e, e);
        }
        if (fileKey != null && !fileKey.equals(attrs.fileKey())) {
            throw new ModelFileChangedException(path, ModelFileChangedException.Change.REPLACED,
                    "replaced by another file: " + fileKey + " → " + attrs.fileKey());
        }
        if (!modified.equals(attrs.lastModifiedTime())) {
            throw new ModelFileChangedException(path, ModelFileChangedException.Change.MODIFIED,
                    "modified in place at " + attrs.lastModifiedTime() + ", loaded as of " + modified);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel == null) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing was written; a failed close loses nothing
        }
    }

    /** The file this store maps. */
    public Path path() { return path; }

    /** The {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() { return metadata; }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.navigableKeySet()); }

    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }

    @Override public String describe() { return path.toString(); }

    /** Unmaps the file and closes it; idempotent. Tensors of this file must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
        closeQuietly(channel);
    }
}
