package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationResult;
import dev.casa.vision.image.ImageDecoder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code casa describe}: one image, one question, the answer streamed to stdout. */
@Command(name = "describe", mixinStandardHelpOptions = true, description = "Describe an image (or answer a question about it).")
public final class DescribeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "PNG, JPEG, BMP or GIF")
    Path image;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Describe the image.", description = "default: \"${DEFAULT-VALUE}\"")
    String prompt;

    @Override
    public Integer call() {
        var img = ImageDecoder.decode(image);
        long t0 = System.nanoTime();
        try (CasaModel model = modelOptions.load()) {
            double load = (System.nanoTime() - t0) / 1e9;
            ProgressBar bar = new ProgressBar(ConsoleOutput.ERR, "prefill");
            Session session = model.newSession().addImage(img).onPrefillProgress(bar::update);
            GenerationResult r = session.ask(prompt, generation.toOptions(model), ConsoleOutput.streaming());
            ConsoleOutput.OUT.println();
            ConsoleOutput.noteCacheFull("describe", session, r, "");
            if (generation.stats) {
                ConsoleOutput.stats("describe", load, session.lastTurn().promptTokens(), session.lastTurn().prefillNanos() / 1e9, r);
            }
            return 0;
        }
    }
}
