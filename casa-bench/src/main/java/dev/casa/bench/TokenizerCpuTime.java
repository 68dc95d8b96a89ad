package dev.casa.bench;

import dev.casa.text.tokenizer.Tokenizer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;

/**
 * End-to-end tokenizer timing in thread CPU time (robust to other load on a shared machine, unlike
 * JMH's wall time): encode and decode of the {@link TokenizerBenchmark} text, best of 5 after 3
 * warm-ups. Run from the repository root:
 * {@code java -cp casa-bench/target/casa-bench.jar dev.casa.bench.TokenizerCpuTime [names...]}.
 * The HF peer on the same text: {@code cd models/tokenizers && node bench_encode.js}.
 */
public final class TokenizerCpuTime {
    private TokenizerCpuTime() {}

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(System.getProperty("casa.repo", "."));
        String text = TokenizerBenchmark.benchmarkText(repo);
        String[] names = args.length > 0 ? args : new String[] {"gpt2", "llama3", "qwen2", "llama2", "mistral"};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.printf("text: %d chars%n", text.length());
        for (String name : names) {
            Tokenizer tok = Tokenizer.fromFile(repo.resolve("casa-text/src/test/resources/tokenizers/" + name + ".tokenizer.json"));
            int[] ids = null;
            double encode = Double.MAX_VALUE, decode = Double.MAX_VALUE;
            for (int run = 0; run < 8; run++) {
                long c0 = mx.getCurrentThreadCpuTime();
                ids = tok.encode(text, false);
                long c1 = mx.getCurrentThreadCpuTime();
                tok.decode(ids, false);
                long c2 = mx.getCurrentThreadCpuTime();
                if (run >= 3) {
                    encode = Math.min(encode, (c1 - c0) / 1e6);
                    decode = Math.min(decode, (c2 - c1) / 1e6);
                }
            }
            System.out.printf("%s: %d ids, encode %.0f ms CPU, decode %.0f ms CPU%n", name, ids.length, encode, decode);
        }
    }
}
