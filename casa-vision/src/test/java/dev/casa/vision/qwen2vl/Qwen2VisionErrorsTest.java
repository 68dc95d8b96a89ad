package dev.casa.vision.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad weights and bad input: clear errors naming what is wrong. Plus concurrent use of one tower. */
class Qwen2VisionErrorsTest {
    private static ThreadPool pool;

    @BeforeAll static void start() { pool = new ThreadPool(2); }
    @AfterAll static void stop() { pool.close(); }

    static final Qwen2VisionConfig C = Qwen2VisionReferenceTest.config("""
            {"model_type": "qwen2_5_vl", "depth": 2, "hidden_size": 32, "num_heads": 2, "intermediate_size": 40,
             "out_hidden_size": 24, "window_size": 56, "fullatt_block_indexes": [1]}""");

    static RandomQwenVision.Store store() { return RandomQwenVision.weights(C, "visual.", 1, false); }

    @Test
    void missingTensorIsNamed() {
        RandomQwenVision.Store s = store();
        s.tensors.remove("visual.blocks.1.mlp.up_proj.bias");
        String e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, s, "visual.", pool)).getMessage();
        assertTrue(e.contains("tensor 'visual.blocks.1.mlp.up_proj.bias' missing") && e.contains("[40]"), e);
        // the wrong prefix: the first tensor is missing
        e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, store(), "model.visual.", pool)).getMessage();
        assertTrue(e.contains("tensor 'model.visual.patch_embed.proj.weight' missing"), e);
    }

    @Test
    void misShapedTensorIsNamed() {
        RandomQwenVision.Store s = store();
        s.put(Tensor.ofFloats("visual.blocks.0.attn.qkv.weight", new float[95 * 32], 95, 32));
        String e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, s, "visual.", pool)).getMessage();
        assertTrue(e.contains("'visual.blocks.0.attn.qkv.weight'") && e.contains("expected shape [96, 32], found [95, 32]"), e);
        RandomQwenVision.Store s2 = store();
        s2.put(Tensor.ofFloats("visual.patch_embed.proj.weight", new float[32 * 3 * 14 * 14], 32, 3, 1, 14, 14));
        e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, s2, "visual.", pool)).getMessage();
        assertTrue(e.contains("expected shape [32, 3, 2, 14, 14], found [32, 3, 1, 14, 14]"), e);
    }

    @Test
    void unusedTensorsUnderThePrefixAreRejected() {
        RandomQwenVision.Store s = store();
        s.put(Tensor.ofFloats("visual.blocks.2.norm1.weight", new float[32], 32));
        String e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, s, "visual.", pool)).getMessage();
        assertTrue(e.contains("unexpected tensor 'visual.blocks.2.norm1.weight'"), e);
        RandomQwenVision.Store s2 = store();
        s2.put(Tensor.ofFloats("visual.merger.ln_q.bias", new float[32], 32));   // a LayerNorm bias in an RMSNorm tower
        e = assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.load(C, s2, "visual.", pool)).getMessage();
        assertTrue(e.contains("unexpected tensor 'visual.merger.ln_q.bias'"), e);
        // the language model's tensors are not the tower's business
        RandomQwenVision.Store s3 = store();
        s3.put(Tensor.ofFloats("model.embed_tokens.weight", new float[8], 2, 4));
        Qwen2VisionTower.load(C, s3, "visual.", pool);
        // a loader binding more than the tower checks the prefix at its end
        TensorBinder binder = new TensorBinder(s3);
        Qwen2VisionTower.load(C, binder, "visual.", pool);
        Qwen2VisionTower.rejectUnused(binder, "visual.");
        assertEquals("visual.", Qwen2VisionTower.detectPrefix(s3));
        assertThrows(ModelFormatException.class, () -> Qwen2VisionTower.detectPrefix(new RandomQwenVision.Store()));
    }

    @Test
    void badInput() {
        Qwen2VisionTower tower = Qwen2VisionTower.load(C, store(), "visual.", pool);
        int w = tower.patchVectorSize();
        String e = assertThrows(IllegalArgumentException.class, () -> tower.forward(new float[15 * w], 1, 4, 4)).getMessage();
        assertTrue(e.contains("15 rows of C·T·P·P = 1176") && e.contains("need 16 rows"), e);
        e = assertThrows(IllegalArgumentException.class, () -> tower.forward(new float[16 * w + 3], 1, 4, 4)).getMessage();
        assertTrue(e.contains("not a whole number of rows"), e);
        e = assertThrows(IllegalArgumentException.class, () -> tower.forward(new float[12 * w], 1, 4, 3)).getMessage();
        assertTrue(e.contains("grid [1, 4, 3]: h and w must be multiples of spatial_merge_size=2"), e);
        e = assertThrows(IllegalArgumentException.class, () -> tower.forward(new float[0], 1, 0, 4)).getMessage();
        assertTrue(e.contains("must be positive"), e);
        e = assertThrows(IllegalArgumentException.class, () -> tower.encodeEach(List.of(new float[16 * w]),
                List.of(new GridThw(1, 4, 4), new GridThw(1, 2, 2)))).getMessage();
        assertTrue(e.contains("1 pixel arrays for 2 grids"), e);
        e = assertThrows(IllegalArgumentException.class, () -> tower.encode(new float[16 * w], 0,
                List.of(new GridThw(1, 4, 4)), new float[3 * 24], 0)).getMessage();
        assertTrue(e.contains("output holds 72 floats, needs 96"), e);
        assertEquals(0, tower.encode(new float[0], List.of()).length);
    }

    @Test
    void windowIndexByHand() {
        // grid 1×6×8, merge 2: 3×4 units; 2×2-unit windows, padded at the bottom
        WindowIndex wi = WindowIndex.of(List.of(new GridThw(1, 6, 8)), 2, 2);
        assertArrayEquals(new int[] {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11}, wi.unitOrder());
        assertArrayEquals(new int[] {0, 16, 32, 40, 48}, wi.cuWindowSeqlens());
        assertArrayEquals(new int[] {0, 48}, wi.cuSeqlens());
        assertArrayEquals(new int[] {0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11}, wi.inverse());
        // row 4 of the window order = unit 1's first patch: patch (0, 2)
        int[] pos = wi.positions();
        assertEquals(0, pos[8]);
        assertEquals(2, pos[9]);
        // two frames and a second image: windows per frame, unit ids offset by the earlier units
        WindowIndex two = WindowIndex.of(List.of(new GridThw(2, 2, 4), new GridThw(1, 4, 2)), 2, 2);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, two.unitOrder());
        assertArrayEquals(new int[] {0, 8, 16, 24}, two.cuWindowSeqlens());
        assertArrayEquals(new int[] {0, 8, 16, 24}, two.cuSeqlens());
        // no windows: identity
        assertTrue(WindowIndex.of(List.of(new GridThw(1, 6, 8)), 2, 0).isIdentity());
    }

    @Test
    void concurrentCallsShareOneTower() throws Exception {
        Qwen2VisionTower tower = Qwen2VisionTower.load(C, store(), "visual.", pool);
        List<GridThw> grids = List.of(new GridThw(1, 6, 8), new GridThw(1, 10, 4), new GridThw(1, 2, 2));
        List<float[]> inputs = new ArrayList<>(), expected = new ArrayList<>();
        for (int i = 0; i < grids.size(); i++) {
            inputs.add(RandomQwenVision.pixels(grids.get(i).patches(), tower.patchVectorSize(), i));
            GridThw g = grids.get(i);
            expected.add(tower.forward(inputs.get(i), g.t(), g.h(), g.w()));
        }
        ExecutorService ex = Executors.newFixedThreadPool(3);
        try {
            List<Future<Boolean>> futures = new ArrayList<>();
            for (int task = 0; task < 12; task++) {
                int i = task % grids.size();
                futures.add(ex.submit(() -> {
                    GridThw g = grids.get(i);
                    float[] got = tower.forward(inputs.get(i), g.t(), g.h(), g.w());
                    for (int k = 0; k < got.length; k++) if (Math.abs(got[k] - expected.get(i)[k]) > 1e-5f) return false;
                    return true;
                }));
            }
            for (Future<Boolean> f : futures) assertTrue(f.get());
        } finally {
            ex.shutdown();
        }
    }
}
