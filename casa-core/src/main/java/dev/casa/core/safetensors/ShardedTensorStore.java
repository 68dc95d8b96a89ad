package dev.casa.core.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
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
            bytes = Files.readAllBytes(index);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index + ": file not found", e);
        } catch (IOException | OutOfMemoryError e) {
            throw new SafetensorsException(index + ": cannot read file: " + e, e);
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
        if (!Files.isRegularFile(file)) {
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
