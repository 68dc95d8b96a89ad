package dev.casa.cli;

import dev.casa.core.tensor.Tensor;
import dev.casa.CasaModel;
import dev.casa.text.lm.TextConfig;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code casa info}: architecture, parameter counts, weight formats and memory of a model directory. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's architecture, parameters, weight formats and memory.")
public final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() {
        try (CasaModel model = modelOptions.load()) {
            TextConfig t = model.textConfig();
            var out = ConsoleOutput.OUT;
            out.println("model:      " + model.directory().toAbsolutePath().normalize());
            out.println("family:     " + model.architecture());
            out.printf("decoder:    %s, %d layers, hidden %d, heads %d (kv %d, head_dim %d), MLP %d, vocab %d, rope %s theta %.0f%s%n",
                    t.modelType(), t.numHiddenLayers(), t.hiddenSize(), t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(),
                    t.intermediateSize(), t.vocabSize(), t.ropeStyle(), t.ropeTheta(),
                    t.ropeScaling() == null ? "" : " " + t.ropeScaling());
            if (model.hasVision()) {
                out.println("vision:     " + model.images().describe());
            } else {
                out.println("vision:     none (text-only)");
            }
            Map<String, long[]> groups = new TreeMap<>();
            Map<String, Map<String, Long>> groupFormats = new TreeMap<>();
            Map<String, Long> formats = new TreeMap<>();
            long bytes = 0;
            for (String name : model.weights().names()) {
                Tensor tensor = model.weights().get(name);
                String group = group(name);
                long[] g = groups.computeIfAbsent(group, k -> new long[2]);
                g[0] += tensor.size();
                g[1] += tensor.data().byteSize();
                groupFormats.computeIfAbsent(group, k -> new TreeMap<>()).merge(tensor.format().name(), tensor.data().byteSize(), Long::sum);
                formats.merge(tensor.format().name(), tensor.size(), Long::sum);
                bytes += tensor.data().byteSize();
            }
            long total = 0;
            for (var e : groups.entrySet()) {
                out.printf("params:     %-15s %,14d  (%s: %s)%n", e.getKey(), e.getValue()[0], human(e.getValue()[1]),
                        byFormat(groupFormats.get(e.getKey())));
                total += e.getValue()[0];
            }
            boolean inMemory = model.quantization() != dev.casa.Quantization.NONE;
            out.printf("params:     %-15s %,14d  (%s%s)%n", "total", total, human(bytes),
                    inMemory ? ", quantized matrices in memory, the rest memory-mapped" : " on disk, memory-mapped");
            out.println("formats:    " + formats + " (parameters per format)");
            if (inMemory) {
                var report = model.quantizationReport();
                Map<String, Integer> kept = new TreeMap<>();
                report.kept().values().forEach(v -> kept.merge(v.toString(), 1, Integer::sum));
                out.printf("quantized:  %s at load: %d matrices%s%n", model.quantization().optionName(), report.quantized().size(),
                        kept.isEmpty() ? "" : "; kept as stored: " + kept);
            }
            long kvPerToken = 2L * t.numHiddenLayers() * t.numKeyValueHeads() * t.headDim() * Float.BYTES;
            out.printf("KV cache:   %s per text token (fp32); %s for max_position_embeddings %d%n",
                    human(kvPerToken), human(kvPerToken * t.maxPositionEmbeddings()), t.maxPositionEmbeddings());
            out.println("eos ids:    " + java.util.Arrays.toString(model.eosTokenIds()));
            out.println("chat:       " + (model.prompts().hasChatTemplate() ? "chat_template" : "plain prompt (no chat_template)"));
            return 0;
        }
    }

    /** Which part of the model a tensor belongs to, by its name in any supported layout. */
    static String group(String name) {
        if (name.startsWith("multi_modal_projector.") || name.contains("visual.merger.") || name.contains(".connector.")) return "projector";
        if (name.startsWith("vision_tower.") || name.startsWith("visual.") || name.startsWith("model.visual.")
                || name.startsWith("model.vision_model.")) return "vision tower";
        if (name.contains(".casa_")) return "CASA layers";
        return "language model";
    }

    /** "Q8_0 1.2 MiB, F32 3.4 KiB": bytes per format, largest first. */
    static String byFormat(Map<String, Long> bytes) {
        return bytes.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> e.getKey() + " " + human(e.getValue())).collect(java.util.stream.Collectors.joining(", "));
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1 << 20) return String.format("%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
