package dev.casa.family.casa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import dev.casa.text.lm.LanguageModel;
import dev.casa.text.lm.LanguageModelWeights;
import dev.casa.text.model.MapTensorStore;
import dev.casa.text.model.TinyModel;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;



/** The casa family binds every language-model and CASA tensor, and names what is missing, mis-shaped or misplaced. */
class CasaFamilyBindingTest {
    private static final String L0 = "language_model.model.layers.0.";

    private static LanguageModel bind(TinyModel m, MapTensorStore store) {
        return CasaFamily.languageModel(CasaFamily.configs(JsonConfig.parse(m.configJson(), "test/config.json")), store, ThreadPool.shared());
    }

    private static LanguageModelWeights weights(TinyModel m, MapTensorStore store) {
        return bind(m, store).weights();
    }

    private static String bindError(TinyModel m, MapTensorStore store) {
        return assertThrows(ModelFormatException.class, () -> bind(m, store)).getMessage();
    }

    @Test
    void bindsEveryTensorAndWidensSmallVectors() {
        TinyModel m = new TinyModel().build();
        LanguageModel lm = bind(m, m.store());
        LanguageModelWeights w = lm.weights();
        assertEquals(3, w.layers().size());
        assertTrue(lm.casaLayers().isCasaLayer(0));
        assertTrue(!lm.casaLayers().isCasaLayer(1));          // casa layers [0, 2]
        assertEquals(2, lm.casaLayers().count());
        assertEquals(m.get(L0 + "input_layernorm.weight")[5], w.layer(0).inputLayernorm().weight()[5]);
        assertEquals(DType.BF16, w.embedTokens().dtype());     // matrices stay tensors, any float dtype
    }

    @Test
    void tiedEmbeddingsNeedNoLmHead() {
        TinyModel m = new TinyModel();
        m.tie = true;
        m.build();
        LanguageModel lm = bind(m, m.store());
        LanguageModelWeights w = lm.weights();
        assertSame(w.embedTokens(), w.lmHead());
    }

    @Test
    void missingTensorIsNamedWithItsExpectedShape() {
        TinyModel m = new TinyModel().build();
        String msg = bindError(m, m.store().remove(L0 + "self_attn.k_proj.weight"));
        assertEquals("tensor '" + L0 + "self_attn.k_proj.weight' missing from test-store (expected shape [12, 16])", msg);
        assertTrue(bindError(m, m.store().remove("language_model.lm_head.weight")).contains("lm_head.weight' missing"));
        assertTrue(bindError(m, m.store().remove("language_model.model.layers.2.casa_attn.o_proj.weight"))
                .contains("layers.2.casa_attn.o_proj.weight' missing"));
    }

    @Test
    void wrongShapeAndDtypeAreNamed() {
        TinyModel m = new TinyModel().build();
        String name = L0 + "mlp.up_proj.weight";
        String msg = bindError(m, m.store().put(Tensor.ofFloats(name, new float[16 * 24], 16, 24)));
        assertEquals("tensor '" + name + "' in test-store: expected shape [24, 16], found [16, 24]", msg);
        String norm = "language_model.model.norm.weight";
        msg = bindError(m, m.store().put(new Tensor(norm, DType.I32, new long[] {16}, MemorySegment.ofArray(new byte[64]))));
        assertEquals("tensor '" + norm + "' in test-store: expected dtype F32, F16 or BF16 (or a quantized format, Q8_0 or Q4_0), found I32", msg);
        msg = bindError(m, m.store().put(Tensor.ofFloats(norm, new float[17], 17)));
        assertTrue(msg.contains("expected shape [16], found [17]"), msg);
    }

    @Test
    void biasesFollowTheConfig() {
        TinyModel m = new TinyModel();
        m.attentionBias = true;
        m.mlpBias = true;
        m.build();
        LanguageModel lm = bind(m, m.store());
        LanguageModelWeights w = lm.weights();
        assertNotNull(w.layer(1).selfAttn().q().bias());
        assertNull(w.layer(1).selfAttn().o().bias());          // o_proj.bias only if the checkpoint has one
        assertNotNull(w.layer(1).mlp().gate().bias());
        assertTrue(bindError(m, m.store().remove(L0 + "self_attn.v_proj.bias")).contains("v_proj.bias' missing"));

        TinyModel plain = new TinyModel().build();
        String msg = bindError(plain, plain.store().put(Tensor.ofFloats(L0 + "self_attn.q_proj.bias", new float[24], 24)));
        assertTrue(msg.contains("attention bias but text_config.attention_bias=false"), msg);
        msg = bindError(plain, plain.store().put(Tensor.ofFloats(L0 + "mlp.down_proj.bias", new float[16], 16)));
        assertTrue(msg.contains("MLP bias but text_config.mlp_bias=false"), msg);
        // o_proj.bias is accepted without attention_bias (Llama checkpoints may have one).
        LanguageModelWeights withO = weights(plain,
                plain.store().put(Tensor.ofFloats(L0 + "self_attn.o_proj.bias", new float[16], 16)));
        assertNotNull(withO.layer(0).selfAttn().o().bias());
    }

    @Test
    void unusedTensorsThatLookLikeTyposAreErrors() {
        TinyModel m = new TinyModel().build();
        String typo = L0 + "self_attn.q_prj.weight";
        String msg = bindError(m, m.store().put(Tensor.ofFloats(typo, new float[4], 4)));
        assertEquals("unexpected tensor '" + typo + "' in test-store: looks like a misspelling of expected tensor '"
                + L0 + "self_attn.q_proj.weight'", msg);
        msg = bindError(m, m.store().put(Tensor.ofFloats("language_model.model.layers.3.input_layernorm.weight", new float[16], 16)));
        assertTrue(msg.contains("layer 3 does not exist (num_hidden_layers=3)"), msg);
        msg = bindError(m, m.store().put(Tensor.ofFloats("language_model.model.layers.1.casa_layernorm.weight", new float[16], 16)));
        assertTrue(msg.contains("layer 1 is not in casa_config.layers [0, 2]"), msg);
        msg = bindError(m, m.store().put(Tensor.ofFloats("model.norm.weight", new float[16], 16)));
        assertTrue(msg.contains("missing the 'language_model.' prefix"), msg);
    }

    @Test
    void visionTensorsAndUnrelatedExtrasAreLeftAlone() {
        TinyModel m = new TinyModel().build();
        MapTensorStore store = m.store()
                .put(Tensor.ofFloats("vision_tower.vision_model.post_layernorm.weight", new float[4], 4))
                .put(Tensor.ofFloats("multi_modal_projector.linear_1.weight", new float[4], 2, 2))
                .put(Tensor.ofFloats(L0 + "self_attn.rotary_emb.inv_freq", new float[3], 3));
        assertEquals(3, weights(m, store).layers().size());
    }

    @Test
    void sharedProjectionsAndInsertionHaveNoCasaTensors() {
        TinyModel shared = new TinyModel();
        shared.share = true;
        shared.build();
        assertTrue(bind(shared, shared.store()).casaLayers().shareProjections());
        TinyModel casa = new TinyModel().build();
        String msg = bindError(shared, casa.store());
        assertTrue(msg.contains("CASA tensor but casa_config.share_projections=true"), msg);
        TinyModel insertion = new TinyModel();
        insertion.fusion = "insertion";
        insertion.build();
        msg = bindError(insertion, casa.store());
        assertTrue(msg.contains("CASA tensor in a model with fusion=insertion"), msg);
    }
}
