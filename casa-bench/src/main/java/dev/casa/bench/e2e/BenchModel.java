package dev.casa.bench.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.core.safetensors.ModelWeights;
import dev.casa.core.safetensors.TensorStore;
import dev.casa.core.config.JsonConfig;
import dev.casa.vision.VisionEncoder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A generated benchmark model opened once: the memory-mapped weights, and decoders for both
 * fusions over the same tensors (CASA with share_projections, and the insertion baseline).
 */
final class BenchModel implements AutoCloseable {
    final BenchModelSpec spec;
    final Path dir;
    final TensorStore store;
    final ThreadPool pool;

    private BenchModel(BenchModelSpec spec, Path dir, TensorStore store, ThreadPool pool) {
        this.spec = spec;
        this.dir = dir;
        this.store = store;
        this.pool = pool;
    }

    /** Generates the model if needed, then maps it. */
    static BenchModel open(BenchModelSpec spec, Path root, ThreadPool pool) throws IOException {
        Path dir = BenchModelGenerator.ensure(spec, root);
        return new BenchModel(spec, dir, ModelWeights.open(dir), pool);
    }

    JsonConfig config(String fusion) {
        ObjectNode json = spec.configJson(fusion);
        return JsonConfig.parse(json.toString(), dir.resolve("config.json") + " (fusion=" + fusion + ")");
    }

    FusedDecoder decoder(String fusion) {
        return new FusedDecoder(config(fusion), store, pool);
    }

    VisionEncoder vision() {
        return VisionEncoder.load(spec.configJson("casa"), store, pool);
    }

    @Override
    public void close() {
        store.close();
    }
}
