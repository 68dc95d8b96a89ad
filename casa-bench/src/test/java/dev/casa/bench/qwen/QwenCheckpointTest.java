package dev.casa.bench.qwen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The generated checkpoint's layout against what the hub publishes for Qwen/Qwen2.5-VL-3B-Instruct: 3.75 B
 * parameters, no lm_head (tied), and two shards listed as 3.98 GB and 3.53 GB.
 */
class QwenCheckpointTest {

    @Test
    void parameterCountAndNames() {
        List<QwenCheckpoint.Entry> t = QwenCheckpoint.tensors();
        long params = t.stream().mapToLong(QwenCheckpoint.Entry::elements).sum();
        assertEquals(3_754_622_976L, params);
        assertEquals(3.75, params / 1e9, 0.005);
        assertFalse(t.stream().anyMatch(e -> e.name().startsWith("lm_head")), "tied embeddings: no lm_head");
        assertTrue(t.stream().allMatch(e -> e.name().startsWith("visual.") || e.name().startsWith("model.")));
        assertEquals(t.size(), t.stream().map(QwenCheckpoint.Entry::name).distinct().count());
        // 32 vision blocks x 12 tensors + patch embed + merger 5; 36 decoder layers x 12 + embed + norm.
        assertEquals(1 + 32 * 12 + 5 + 1 + 36 * 12 + 1, t.size());
    }

    @Test
    void shardsLikeTheHubFiles() {
        List<List<QwenCheckpoint.Entry>> shards = QwenCheckpoint.shards(QwenCheckpoint.tensors(), QwenModelGenerator.MAX_SHARD_BYTES, 2);
        assertEquals(2, shards.size());
        double[] gb = shards.stream().mapToDouble(s -> s.stream().mapToLong(e -> 2 * e.elements()).sum() / 1e9).toArray();
        assertEquals(3.98, gb[0], 0.005);
        assertEquals(3.53, gb[1], 0.005);
        assertEquals("visual.patch_embed.proj.weight", shards.get(0).get(0).name());
        assertEquals("model.norm.weight", shards.get(1).get(shards.get(1).size() - 1).name());
    }

    @Test
    void shardingStartsANewShardOnlyWhenTheNextTensorWouldNotFit() {
        List<QwenCheckpoint.Entry> t = List.of(
                new QwenCheckpoint.Entry("a", new long[] {3}, QwenCheckpoint.Init.BIAS),
                new QwenCheckpoint.Entry("b", new long[] {2}, QwenCheckpoint.Init.BIAS),
                new QwenCheckpoint.Entry("c", new long[] {9}, QwenCheckpoint.Init.BIAS),
                new QwenCheckpoint.Entry("d", new long[] {1}, QwenCheckpoint.Init.BIAS));
        List<List<QwenCheckpoint.Entry>> s = QwenCheckpoint.shards(t, 10, 2);
        // bytes 6, 4 (=10, fits), 18 (alone, larger than the limit), 2
        assertEquals(List.of(List.of("a", "b"), List.of("c"), List.of("d")),
                s.stream().map(x -> x.stream().map(QwenCheckpoint.Entry::name).toList()).toList());
    }
}
