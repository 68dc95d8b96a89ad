package dev.casa.cli;

import dev.casa.vision.image.PreprocessTool;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code casa preprocess} (forward-cli.md): float32 {@code [C, H, W]} pixels of one image as .npy. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Preprocess an image per preprocessor_config.json and write float32 [C,H,W] .npy.")
public final class PreprocessCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "preprocessor_config.json")
    Path config;

    @Option(names = "--image", required = true, paramLabel = "IMG")
    Path image;

    @Option(names = "--out", required = true, paramLabel = "PIXELS.npy")
    Path out;

    @Override
    public Integer call() {
        return new PreprocessTool().run(config, image, out, new PrintStream(System.err, true, StandardCharsets.UTF_8));
    }
}
