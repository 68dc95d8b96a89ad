package dev.casa.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.io.BoundedFiles;
import dev.casa.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** The tensors of a sharded checkpoint: {@code model.safetensors.index.json} and the files it lists. */
public final class ShardedTensorStore implements TensorStore {

    /**
     * Largest index file read: 64 MiB. Real ones are 20 KB to a few MB (about 80 bytes per tensor);
     * the limit keeps a wrong path ({@code /dev/zero}, a huge file) from filling the heap.
     */
    public static final long MAX_INDEX_BYTES = 64L << 20;

    private final Path index;
    private final List<SafetensorsFile> shards;
    private final TreeMap<String, Tensor> tensors;

    private ShardedTensorStore(Path index, List<SafetensorsFile> shards, TreeMap<String, Tensor> tensors) {
        this.index = index;
        this.shards = shards;
        this.tensors = tensors;
    }

    /** Opens {@code index} and every shard in its {@code weight_map}, checking both agree. */
    public static ShardedTensorStore open(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            TreeMap<String, Tensor> tensors = new TreeMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile shard = shards.get(e.getValue());
                if (shard == null) {
                    shard = openShard(index, e.getKey(), e.getValue());
                    shards.put(e.getValue(), shard);
                }
                Tensor t = shard.find(e.getKey()).orElseThrow(() -> new SafetensorsException(index
                        + ": tensor '" + e.getKey() + "' is mapped to shard " + e.getValue()
                        + " but that shard does not contain it"));
                tensors.put(e.getKey(), t);
            }
            for (SafetensorsFile shard : shards.values()) {
                for (String name : shard.names()) {
                    if (!weightMap.containsKey(name)) {
                        throw new SafetensorsException(index + ": tensor '" + name + "' of shard "
                                + shard.path().getFileName() + " is not listed in weight_map");
                    }
                    if (!weightMap.get(name).equals(String.valueOf(shard.path().getFileName()))) {
                        throw new SafetensorsException(index + ": tensor '" + name + "' is in shard "
                                + shard.path().getFileName() + " and also in " + weightMap.get(name)
                                + " (where weight_map points)");
                    }
                }
            }
            return new ShardedTensorStore(index, List.copyOf(shards.values()), tensors);
        } catch (RuntimeException | Error e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        byte[] bytes;
        try {
            bytes = BoundedFiles.readAllBytes(index, MAX_INDEX_BYTES, "safetensors index");
        } catch (IOException e) {
            if (e.getCause() instanceof NoSuchFileException) throw new SafetensorsException(index + ": file not found", e);
            throw new SafetensorsException(e.getMessage(), e);
        }
        JsonNode root = StrictJson.parseObject(bytes, index.toString());
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index + ": 'weight_map' is missing or not a JSON object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index + ": weight_map entry for tensor '" + e.getKey()
                        + "' is not a file name string");
            }
            weightMap.put(e.getKey(), e.getValue().textValue());
        }
        if (weightMap.isEmpty()) {
            throw new SafetensorsException(index + ": weight_map lists no tensors");
        }
        return weightMap;
    }

    private static SafetensorsFile openShard(Path index, String tensor, String shardName) {
        Path shardPath;
        try {
            shardPath = Path.of(shardName);
        } catch (RuntimeException e) {
            shardPath = null;
        }
        // Shards live next to the index: a bare file name, never a path that could leave the directory.
        if (shardPath == null || shardPath.getNameCount() != 1 || shardPath.isAbsolute()
                || shardName.equals(".") || shardName.equals("..") || shardName.isEmpty()) {
            throw new SafetensorsException(index + ": tensor '" + tensor + "' is mapped to '" + shardName
                    + "', which is not a file name in the index's directory");
        }
        Path dir = index.toAbsolutePath().getParent();
        Path file = dir.resolve(shardPath);
        // A missing shard is named as such; one that exists but is no regular file (a FIFO, a link loop)
        // is refused by SafetensorsFile.open with what it is.
        if (!Files.exists(file) && !Files.isSymbolicLink(file)) {
            throw new SafetensorsException(index + ": tensor '" + tensor + "' is mapped to shard " + shardName
                    + ", which does not exist (" + file + ")");
        }
        return SafetensorsFile.open(file);
    }

    /** The shards, in the order the index first names them. */
    public List<SafetensorsFile> shards() { return shards; }

    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.navigableKeySet()); }

    @Override public Optional<Tensor> find(String name) { return Optional.ofNullable(tensors.get(name)); }

    @Override public String describe() { return index + " (" + shards.size() + " shards)"; }

    /** Checks every shard (see {@link TensorStore#checkIntact()}). */
    @Override
    public void checkIntact() {
        for (SafetensorsFile shard : shards) shard.checkIntact();
    }

    /** Unmaps every shard. */
    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (SafetensorsFile shard : shards) {
            try {
                shard.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) throw failures.getFirst();
    }
}
