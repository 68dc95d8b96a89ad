package dev.casa.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.DType;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The encoder against {@link ReferenceSiglip} (float64 scalar oracle) on random weights. */
class SiglipOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ThreadPool pool;

    @BeforeAll static void start() { pool = new ThreadPool(2); }
    @AfterAll static void stop() { pool.close(); }

    /** A tiny model: its config, weights, encoder and oracle. */
    record Model(VisionModelConfig config, MapTensorStore store, VisionEncoder encoder, ReferenceSiglip oracle,
                 Integer featureLayer, int projectorWidth) {}

    static Model model(int hidden, int inter, int heads, int layers, int channels, int image, int patch,
                       String act, Integer featureLayer, String projectorAct, int projectorWidth, DType dtype, long seed) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode vc = root.putObject("vision_config");
        vc.put("hidden_size", hidden).put("intermediate_size", inter).put("num_hidden_layers", layers)
                .put("num_attention_heads", heads).put("num_channels", channels).put("image_size", image)
                .put("patch_size", patch).put("hidden_act", act).put("layer_norm_eps", 1e-5);
        if (featureLayer != null) root.put("vision_feature_layer", featureLayer);
        root.put("projector_hidden_act", projectorAct);
        root.putObject("text_config").put("hidden_size", projectorWidth);
        VisionModelConfig config = VisionModelConfig.fromJson(root);
        MapTensorStore store = RandomSiglip.weights(config.vision(), projectorWidth, dtype, featureLayer == null, seed);
        VisionEncoder encoder = VisionEncoder.load(root, store, pool);
        ReferenceSiglip oracle = new ReferenceSiglip(store, hidden, inter, heads, channels, image, patch, layers,
                1e-5, act, projectorAct);
        return new Model(config, store, encoder, oracle, featureLayer, projectorWidth);
    }

    /** Checks features and embeddings of {@code images} random images against the oracle. */
    static void checkAgainstOracle(Model m, int images, long seed) {
        SiglipVisionConfig vc = m.config().vision();
        float[] px = RandomSiglip.pixels(vc, images, seed);
        float[] features = m.encoder().featuresBatch(px, images);
        float[] embeddings = m.encoder().encodeBatch(px, images);
        int n = vc.numPatches(), d = vc.hiddenSize(), e = m.projectorWidth();
        for (int b = 0; b < images; b++) {
            double[][] refF = m.oracle().features(px, b * vc.pixelsPerImage(), m.featureLayer());
            double[][] refE = m.oracle().project(refF);
            assertClose(refF, features, b * n * d, "features of image " + b);
            assertClose(refE, embeddings, b * n * e, "embeddings of image " + b);
        }
    }

    static void assertClose(double[][] ref, float[] got, int offset, String what) {
        double maxRef = 0, maxDiff = 0;
        int k = offset;
        for (double[] row : ref) {
            for (double r : row) {
                maxRef = Math.max(maxRef, Math.abs(r));
                maxDiff = Math.max(maxDiff, Math.abs(r - got[k++]));
            }
        }
        double tol = 1e-4 * Math.max(1, maxRef);
        assertTrue(maxDiff <= tol, what + ": max |diff| " + maxDiff + " > " + tol + " (max |ref| " + maxRef + ")");
        assertTrue(maxRef > 0.1, what + ": reference suspiciously small, max |ref| " + maxRef);
    }

    @Test
    void f32Patch8PostLayerNorm() {
        // D = 36 (not a multiple of 8), 3 heads of 12, I = 52, N = 16.
        Model m = model(36, 52, 3, 2, 3, 32, 8, "gelu_pytorch_tanh", null, "gelu", 20, DType.F32, 1);
        assertEquals(16, m.encoder().tokensPerImage());
        assertEquals(32, m.encoder().imageSize());
        assertEquals(20, m.encoder().embeddingSize());
        checkAgainstOracle(m, 2, 11);
    }

    @Test
    void bf16Patch16FeatureLayerMinus2() {
        // D = 44, 4 heads of 11, I = 60, N = 9; layer -2 = output of layer 2 of 3, no post_layernorm tensors.
        Model m = model(44, 60, 4, 3, 3, 48, 16, "gelu_pytorch_tanh", -2, "gelu", 28, DType.BF16, 2);
        checkAgainstOracle(m, 1, 12);
    }

    @Test
    void f16WeightsTwoChannelsGeluAndSiluProjector() {
        Model m = model(30, 38, 5, 2, 2, 24, 8, "gelu", null, "silu", 18, DType.F16, 3);
        checkAgainstOracle(m, 1, 13);
    }

    @Test
    void imageSizeNotAMultipleOfThePatchIgnoresTheRemainder() {
        // 38 = 4·8 + 6: a 4×4 grid over the top-left 32×32 pixels, as HF's stride-8 conv.
        Model m = model(36, 52, 3, 1, 3, 38, 8, "gelu_pytorch_tanh", null, "gelu", 20, DType.BF16, 8);
        assertEquals(16, m.encoder().tokensPerImage());
        checkAgainstOracle(m, 1, 18);
    }

    @Test
    void featureLayerIndices() {
        // 0 = embeddings only (no layer runs), 1 = first layer, -1 = last layer without post_layernorm.
        for (int k : new int[] {0, 1, -1, -3}) {
            Model m = model(36, 44, 3, 2, 3, 32, 8, "gelu_pytorch_tanh", k, "relu", 20, DType.F32, 4 + k);
            checkAgainstOracle(m, 1, 14);
        }
    }

    @Test
    void batchEqualsSingleImagesAcrossChunks() {
        Model m = model(36, 52, 3, 2, 3, 32, 8, "gelu_pytorch_tanh", null, "gelu_pytorch_tanh", 20, DType.BF16, 5);
        int images = VisionEncoder.MAX_BATCH + 2;
        SiglipVisionConfig vc = m.config().vision();
        float[] px = RandomSiglip.pixels(vc, images, 15);
        float[] batch = m.encoder().encodeBatch(px, images);
        List<float[]> list = new ArrayList<>();
        int per = vc.pixelsPerImage(), width = vc.numPatches() * 20;
        for (int b = 0; b < images; b++) {
            float[] one = new float[per];
            System.arraycopy(px, b * per, one, 0, per);
            list.add(one);
            float[] single = m.encoder().encode(one);
            float[] slice = new float[width];
            System.arraycopy(batch, b * width, slice, 0, width);
            // Same kernels, same row order within a GEMM: the batch must not change a single value much.
            assertArrayEquals(single, slice, 1e-5f, "image " + b);
        }
        List<float[]> fromList = m.encoder().encode(list);
        for (int b = 0; b < images; b++) {
            float[] slice = new float[width];
            System.arraycopy(batch, b * width, slice, 0, width);
            assertArrayEquals(slice, fromList.get(b), 1e-5f, "list image " + b);
        }
        // Last images of the batch against the oracle too (they ran in the second chunk).
        double[][] ref = m.oracle().project(m.oracle().features(px, (images - 1) * per, null));
        assertClose(ref, batch, (images - 1) * width, "last image of the batch");
    }

    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        Model m = model(36, 52, 3, 2, 3, 32, 8, "gelu_pytorch_tanh", null, "gelu", 20, DType.F32, 6);
        SiglipVisionConfig vc = m.config().vision();
        int callers = 4;
        float[][] inputs = new float[callers][];
        float[][] expected = new float[callers][];
        for (int i = 0; i < callers; i++) {
            inputs[i] = RandomSiglip.pixels(vc, 1, 100 + i);
            expected[i] = m.encoder().encode(inputs[i]);
        }
        ExecutorService ex = Executors.newFixedThreadPool(callers);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                for (int i = 0; i < callers; i++) {
                    float[] in = inputs[i];
                    results.add(ex.submit(() -> m.encoder().encode(in)));
                }
            }
            for (int j = 0; j < results.size(); j++) {
                assertArrayEquals(expected[j % callers], results.get(j).get(), "call " + j);
            }
        } finally {
            ex.shutdown();
        }
    }

    @Test
    void outputOffsetsAreHonoured() {
        Model m = model(36, 52, 3, 1, 3, 32, 8, "gelu_pytorch_tanh", null, "gelu", 20, DType.F32, 7);
        SiglipVisionConfig vc = m.config().vision();
        float[] px = RandomSiglip.pixels(vc, 1, 17);
        float[] padded = new float[5 + px.length];
        System.arraycopy(px, 0, padded, 5, px.length);
        int width = vc.numPatches() * vc.hiddenSize();
        float[] out = new float[3 + width + 2];
        m.encoder().featuresBatch(padded, 5, 1, out, 3);
        float[] direct = m.encoder().features(px);
        for (int i = 0; i < width; i++) assertEquals(direct[i], out[3 + i], "element " + i);
        assertEquals(0f, out[0]);
        assertEquals(0f, out[out.length - 1]);
    }
}
