package dev.casa.bench;

import dev.casa.text.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding ~1 MB of text with the fixture tokenizers. The text is LICENSE +
 * models/tokenizers/train_extra.txt repeated to at least 1,000,000 chars, the same text that
 * models/tokenizers/bench_encode.js gives HF tokenizers (the peer). Run from the repository root:
 * {@code java -jar casa-bench/target/casa-bench.jar TokenizerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class TokenizerBenchmark {
    @Param({"gpt2", "llama3", "qwen2", "llama2", "mistral"})
    public String tokenizer;

    private Tokenizer tok;
    private String text;
    private int[] ids;

    /** The benchmark text (shared with the HF peer script). */
    static String benchmarkText(Path repo) throws IOException {
        String base = Files.readString(repo.resolve("LICENSE")) + Files.readString(repo.resolve("models/tokenizers/train_extra.txt"));
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 1_000_000) sb.append(base);
        return sb.toString();
    }

    @Setup
    public void setup() throws IOException {
        Path repo = Path.of(System.getProperty("casa.repo", "."));
        tok = Tokenizer.fromFile(repo.resolve("casa-text/src/test/resources/tokenizers/" + tokenizer + ".tokenizer.json"));
        text = benchmarkText(repo);
        ids = tok.encode(text, false);
    }

    @Benchmark
    public int[] encode1MB() { return tok.encode(text, false); }

    @Benchmark
    public String decode1MB() { return tok.decode(ids, false); }
}
