package dev.casa.bench.quant;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's {@code llama-bench} (built from node-llama-cpp's bundled source against its prebuilt CPU libraries:
 * {@code casa-bench/scripts/setup_quant_peers.sh}) on a GGUF file: prefill of {@code prompt} tokens, and decode of
 * {@code tokens} tokens after {@code context} (its {@code -d}), with {@code threads} threads; average tok/s of
 * {@code runs} repetitions. Runs alone: llama.cpp's threads busy-wait, so nothing else may share the cores.
 */
final class LlamaBench {
    private LlamaBench() {}

    static QuantDecodeBench.Row run(Path exe, Path gguf, String format, int threads, int context, int tokens, int prompt, int runs)
            throws IOException, InterruptedException {
        double pp = tokS(exe, List.of("-m", gguf.toString(), "-t", Integer.toString(threads), "-p", Integer.toString(prompt), "-n", "0",
                "-r", Integer.toString(runs), "-o", "json"));
        double tg = tokS(exe, List.of("-m", gguf.toString(), "-t", Integer.toString(threads), "-p", "0", "-n", Integer.toString(tokens),
                "-d", Integer.toString(context), "-r", Integer.toString(runs), "-o", "json"));
        System.out.printf("llama.cpp %s: decode %.2f tok/s, prefill %d: %.1f tok/s%n", format, tg, prompt, pp);
        return new QuantDecodeBench.Row("llama.cpp", format, tg, pp, Double.NaN, Double.NaN, "llama-bench " + gguf.getFileName());
    }

    private static double tokS(Path exe, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + out);
        JsonNode results = QuantDecodeBench.json(out);
        return results.get(0).get("avg_ts").asDouble();
    }
}
