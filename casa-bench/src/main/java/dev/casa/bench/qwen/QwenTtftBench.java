package dev.casa.bench.qwen;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.bench.e2e.Args;
import dev.casa.bench.e2e.MachineState;
import dev.casa.bench.e2e.Stats;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.image.EncodedImage;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ProcessedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * Time to first token on the generated Qwen2.5-VL-3B directory, end to end through {@link CasaModel} and
 * {@link Session} as an application calls them: from the image file (a deterministic {@link TestImage} JPEG,
 * 448×448 by default) and a question of exactly {@code --question-tokens} tokens, to the first generated
 * token reaching the listener. Inside: JPEG decode, {@code Qwen2VLImageProcessor}, the vision tower and
 * merger, the chat template, the prefill (system prompt + image pads + question) and sampling with the
 * model's generation_config defaults. Each run is a fresh session; 1 warm-up, median of the runs. A last
 * pass splits the image part into preprocessing and tower.
 *
 * <pre>java --add-modules jdk.incubator.vector -Xmx6g -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.QwenTtftBench \
 *     [--model /tmp/casa-bench-models/qwen2.5-vl-3b] [--image FILE] [--size 448x448] [--question-tokens 20] [--warmup 1] [--runs 3] [--threads N]</pre>
 */
public final class QwenTtftBench {
    static final String USAGE = """
            QwenTtftBench [--model DIR] [--image FILE (default: a generated JPEG of --size)] [--size 448x448]
                          [--question-tokens 20] [--warmup 1] [--runs 3] [--threads N]""";
    /** Words the question is built from (see {@link #question}). */
    static final String[] WORDS = ("What is shown in this picture, and where is it Describe the main objects their colours "
            + "and the light in the scene in a few words").split(" ");

    private QwenTtftBench() {}

    public static void main(String[] argv) throws Exception {
        Args a = new Args(argv, Set.of("model", "image", "size", "question-tokens", "warmup", "runs", "threads"), USAGE);
        Path dir = QwenModelGenerator.ensure(Path.of(a.string("model", QwenModelGenerator.DEFAULT_DIR.toString())));
        int[] wh = QwenVisionBench.parseSize(a.string("size", "448x448"));
        Path image = a.string("image", null) != null ? Path.of(a.string("image", null))
                : TestImage.ensure(TestImage.defaultPath(wh[0], wh[1]), wh[0], wh[1]);
        int questionTokens = a.integer("question-tokens", 20), warmup = a.integer("warmup", 1), runs = a.integer("runs", 3);
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        Report.header("QwenTtftBench: time to first token, Qwen2.5-VL-3B shape, " + image + " (" + Files.size(image) + " bytes), " + dir, threads);

        try (ThreadPool pool = new ThreadPool(threads); CasaModel model = CasaModel.load(dir, pool)) {
            String question = question(model, questionTokens);
            System.out.printf("question (%d tokens): \"%s\"%n", model.tokenizer().encode(question, false).length, question);
            GenerationOptions options = model.defaultGenerationOptions().withMaxNewTokens(1);
            double[] ttft = new double[runs], decode = new double[runs], image2 = new double[runs], prefill = new double[runs];
            double[] rest = new double[runs];
            double cpu = 0;
            int promptTokens = 0;
            for (int r = -warmup; r < runs; r++) {
                long[] first = {0};
                double c0 = MachineState.processCpuSeconds();
                long t0 = System.nanoTime();
                RgbImage img = ImageDecoder.decode(image);
                long t1 = System.nanoTime();
                Session s = model.newSession().addImage(img);
                s.ask(question, options, (id, text) -> {
                    if (first[0] == 0) first[0] = System.nanoTime();
                });
                long end = first[0] != 0 ? first[0] : System.nanoTime(); // a stop token as first token: no callback
                double c = MachineState.processCpuSeconds() - c0;
                Session.TurnStats st = s.lastTurn();
                promptTokens = st.promptTokens();
                double total = (end - t0) / 1e9;
                // Session.TurnStats: prefillNanos runs from the start of ask() (image encoding included) to the prefill's end.
                double other = total - (t1 - t0) / 1e9 - st.prefillNanos() / 1e9;
                System.out.printf("  ttft %s %d: %.3f s (JPEG decode %.0f ms, image %.0f ms, template + prefill %.0f ms of %d prompt rows,"
                                + " session + first sample %.0f ms), %.2f cores busy%n",
                        r < 0 ? "warmup" : "run", r < 0 ? r + warmup : r, total, (t1 - t0) / 1e6, st.imageNanos() / 1e6,
                        (st.prefillNanos() - st.imageNanos()) / 1e6, st.promptTokens(), other * 1e3, c / total);
                if (r >= 0) {
                    ttft[r] = total;
                    decode[r] = (t1 - t0) / 1e9;
                    image2[r] = st.imageNanos() / 1e9;
                    prefill[r] = (st.prefillNanos() - st.imageNanos()) / 1e9;
                    rest[r] = other;
                    cpu += c;
                }
            }
            // The image part split: preprocessing (resize, normalise, patches) and tower + merger.
            RgbImage img = ImageDecoder.decode(image);
            long p0 = System.nanoTime();
            ProcessedImage pixels = model.images().process(img);
            long p1 = System.nanoTime();
            EncodedImage encoded = model.images().encode(pixels);
            long p2 = System.nanoTime();
            double median = Stats.median(ttft);
            System.out.printf("RESULT ttft qwen2.5-vl-3b threads=%d image=%dx%d (%d image tokens) question=%d tokens prompt=%d rows: median %.3f s (best %.3f s); "
                            + "medians: JPEG decode %.0f ms, image (preprocess + tower) %.0f ms, template + prefill %.0f ms, session + first sample %.0f ms; "
                            + "split of one image: preprocess %.0f ms, tower %.0f ms; %.2f cores busy%n",
                    threads, img.width(), img.height(), encoded.tokens(), questionTokens, promptTokens, median, Stats.min(ttft),
                    Stats.median(decode) * 1e3, Stats.median(image2) * 1e3, Stats.median(prefill) * 1e3,
                    Stats.median(rest) * 1e3,
                    (p1 - p0) / 1e6, (p2 - p1) / 1e6, cpu / Arrays.stream(ttft).sum());
        }
        Report.footer();
    }

    /**
     * A question of exactly {@code tokens} ids: the words of {@link #WORDS} in order, each kept only if the
     * question (with its "?") stays within the count, then " a" until it is reached.
     */
    static String question(CasaModel model, int tokens) {
        String q = "";
        for (String w : WORDS) {
            String next = q.isEmpty() ? w : q + " " + w;
            int n = model.tokenizer().encode(next + "?", false).length;
            if (n <= tokens) q = next;
            if (n == tokens) return q + "?";
        }
        while (model.tokenizer().encode(q + "?", false).length < tokens) q += " a";
        if (model.tokenizer().encode(q + "?", false).length != tokens) {
            throw new IllegalStateException("could not build a question of exactly " + tokens + " tokens");
        }
        return q + "?";
    }
}
