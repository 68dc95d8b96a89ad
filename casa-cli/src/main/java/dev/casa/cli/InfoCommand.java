package dev.casa.cli;

import dev.casa.core.tensor.DType;
import dev.casa.core.tensor.Tensor;
import dev.casa.CasaModel;
import dev.casa.text.model.CasaConfig;
import dev.casa.text.model.TextConfig;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code casa info}: architecture, parameter counts, dtypes and memory of a model directory. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's architecture, parameters, dtypes and memory.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() {
        try (CasaModel model = modelOptions.load()) {
            CasaConfig c = model.config();
            TextConfig t = c.text();
            var out = ConsoleOutput.OUT;
            out.println("model:      " + model.directory().toAbsolutePath().normalize());
            out.println("fusion:     " + c.fusion() + (c.casa() != null ? "  " + c.casa() : ""));
            out.printf("decoder:    %d layers, hidden %d, heads %d (kv %d, head_dim %d), MLP %d, vocab %d, rope %s theta %.0f%n",
                    t.numHiddenLayers(), t.hiddenSize(), t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(),
                    t.intermediateSize(), t.vocabSize(), t.ropeStyle(), t.ropeTheta());
            if (model.hasVision()) {
                var v = model.vision();
                out.printf("vision:     image %d, %d tokens per image, width %d -> projected %d%n",
                        v.imageSize(), v.tokensPerImage(), v.featureSize(), v.embeddingSize());
            } else {
                out.println("vision:     none (text-only)");
            }
            Map<String, long[]> groups = new TreeMap<>();
            Map<DType, Long> dtypes = new TreeMap<>();
            long bytes = 0;
            for (String name : model.weights().names()) {
                Tensor tensor = model.weights().get(name);
                String group = name.startsWith("vision_tower.") ? "vision tower"
                        : name.startsWith("multi_modal_projector.") ? "projector"
                        : name.contains(".casa_") ? "CASA layers" : "language model";
                long[] g = groups.computeIfAbsent(group, k -> new long[2]);
                g[0] += tensor.size();
                g[1] += tensor.data().byteSize();
                dtypes.merge(tensor.dtype(), tensor.size(), Long::sum);
                bytes += tensor.data().byteSize();
            }
            long total = 0;
            for (var e : groups.entrySet()) {
                out.printf("params:     %-15s %,14d  (%s)%n", e.getKey(), e.getValue()[0], human(e.getValue()[1]));
                total += e.getValue()[0];
            }
            out.printf("params:     %-15s %,14d  (%s on disk, memory-mapped)%n", "total", total, human(bytes));
            out.println("dtypes:     " + dtypes);
            long kvPerToken = 2L * t.numHiddenLayers() * t.numKeyValueHeads() * t.headDim() * Float.BYTES;
            out.printf("KV cache:   %s per text token (fp32); %s for max_position_embeddings %d%n",
                    human(kvPerToken), human(kvPerToken * t.maxPositionEmbeddings()), t.maxPositionEmbeddings());
            out.println("eos ids:    " + java.util.Arrays.toString(model.eosTokenIds()));
            out.println("chat:       " + (model.prompts().hasChatTemplate() ? "chat_template" : "plain prompt (no chat_template)"));
            return 0;
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
