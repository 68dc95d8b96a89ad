package dev.casa.family;

import dev.casa.LoadOptions;
import dev.casa.Quantization;
import dev.casa.QuantizationReport;
import dev.casa.QuantizationReport.Kept;
import dev.casa.core.config.ModelFormatException;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.nn.TensorBinder;
import dev.casa.core.tensor.Quantizer;
import dev.casa.core.tensor.Tensor;
import dev.casa.core.tensor.WeightFormat;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which matrices a load quantizes, and to what (docs/quantization.md, "Which tensors"): the families bind
 * through a {@link TensorBinder} with this policy, which hands out quantized copies in place of the
 * stored matrices, so no family knows about formats.
 * <ul>
 *   <li>Linear layers (language model, CASA layers, vision tower, projector / merger / connector):
 *       {@link Quantization#linearFormat()}.</li>
 *   <li>The output head, and the embedding matrix when the head is tied to it:
 *       {@link Quantization#headFormat()} (Q8_0 also when the rest is Q4_0). A tied matrix is quantized once
 *       and serves both: embedding lookups dequantize their row.</li>
 *   <li>As loaded: untied embeddings, norms, biases, convolution kernels, position tables; tensors matching an
 *       exclude pattern; matrices whose rows (K) are not a multiple of 32; matrices already in a block format.</li>
 * </ul>
 * Quantization runs on the load's thread pool, rows split between the threads; the copies live off-heap.
 */
public final class QuantizationPolicy implements TensorBinder.MatrixPolicy {
    private final LoadOptions options;
    private final ThreadPool pool;
    private final Map<Tensor, Tensor> copies = new LinkedHashMap<>();   // Tensor equality is identity
    private final Map<String, Kept> kept = new LinkedHashMap<>();

    public QuantizationPolicy(LoadOptions options) {
        this.options = options;
        this.pool = options.poolOrShared();
    }

    public Quantization quantization() { return options.quantize(); }

    @Override
    public synchronized Tensor apply(Tensor t, TensorBinder.MatrixUse use) {
        WeightFormat target = switch (use) {
            case LINEAR -> options.quantize().linearFormat();
            case OUTPUT_HEAD, TIED_EMBEDDING -> options.quantize().headFormat();
            case EMBEDDING, OTHER -> null;
        };
        if (target == null) return t;
        Tensor done = copies.get(t);
        if (done != null) return done;
        if (t.format().quantized()) return keep(t, Kept.ALREADY_QUANTIZED);
        if (options.excludes(t.name())) return keep(t, Kept.EXCLUDED);
        if (!Quantizer.canQuantize(t, target)) return keep(t, Kept.ROWS_NOT_WHOLE_BLOCKS);
        Tensor q;
        try {
            q = Quantizer.quantize(t, target, (rows, task) -> pool.parallelFor(rows, task::run));
        } catch (IllegalArgumentException e) {   // a non-finite weight, named by the quantizer
            throw new ModelFormatException("cannot quantize to " + target + ": " + e.getMessage(), e);
        }
        copies.put(t, q);
        return q;
    }

    private Tensor keep(Tensor t, Kept why) {
        kept.put(t.name(), why);
        return t;
    }

    /** The quantized copies by tensor name, in the order they were made. */
    public synchronized Map<String, Tensor> quantized() {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Tensor q : copies.values()) byName.put(q.name(), q);
        return Collections.unmodifiableMap(byName);
    }

    /** What was quantized and what was kept, so far. */
    public synchronized QuantizationReport report() {
        Map<String, WeightFormat> formats = new LinkedHashMap<>();
        for (Tensor q : copies.values()) formats.put(q.name(), q.format());
        return new QuantizationReport(options.quantize(), formats, kept);
    }
}
