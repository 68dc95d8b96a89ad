package dev.casa.core.safetensors;

import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One memory-mapped {@code .safetensors} file. The whole file is mapped read-only into a shared
 * {@link Arena} (no copy, no 2 GB limit); every {@link Tensor} is a slice of that mapping.
 * {@link #close()} unmaps the file: a tensor used afterwards throws {@link IllegalStateException}.
 */
public final class SafetensorsFile implements TensorStore {

    private final Path path;
    private final Arena arena;
    private final Map<String, String> metadata;
    private final TreeMap<String, Tensor> tensors;

    private SafetensorsFile(Path path, Arena arena, Map<String, String> metadata, TreeMap<String, Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Maps and validates the file; every malformation is a {@link SafetensorsException}. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file = map(path, arena);
            SafetensorsHeader header = SafetensorsHeader.read(file, path.toString());
            TreeMap<String, Tensor> tensors = new TreeMap<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                MemorySegment data = file.asSlice(header.dataStart() + e.begin(), e.end() - e.begin());
                tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), data));
            }
            return new SafetensorsFile(path, arena, header.metadata(), tensors);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path path, Arena arena) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new SafetensorsException(path + ": file is " + size
                        + " bytes, too short for the 8-byte header length");
            }
            // The mapping outlives the channel; it is released when the arena closes.
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(path + ": file not found", e);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot map file: " + e, e);
        }
    }

    /** The file this store maps. */
    public Path path() { return path; }

    /** The {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() { return metadata; }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.navigableKeySet()); }

    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }

    @Override public String describe() { return path.toString(); }

    /** Unmaps the file; idempotent. Tensors of this file must not be used afterwards. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
