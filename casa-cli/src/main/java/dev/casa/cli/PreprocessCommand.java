package dev.casa.cli;

import dev.casa.vision.image.PreprocessTool;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code casa preprocess} (forward-cli.md, hf-models.md): one image's pixel values as float32 .npy, as HF's processor of the config makes them. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Preprocess an image per preprocessor_config.json (SigLIP, Qwen2-VL, Idefics3) and write float32 .npy.")
public final class PreprocessCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "preprocessor_config.json")
    Path config;

    @Option(names = "--image", required = true, paramLabel = "IMG")
    Path image;

    @Option(names = "--out", required = true, paramLabel = "PIXELS.npy")
    Path out;

    @Option(names = "--meta-out", paramLabel = "META.json",
            description = "also write the image's layout: {\"image_grid_thw\": [t, h, w]} (Qwen-VL) or {\"rows\": r, \"cols\": c} (Idefics3)")
    Path metaOut;

    @Override
    public Integer call() {
        return new PreprocessTool().run(config, image, out, metaOut, new PrintStream(System.err, true, StandardCharsets.UTF_8));
    }
}
