package dev.casa.bench.smolvlm;

import dev.casa.bench.e2e.MachineState;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * SmolVLM-256M's image preprocessing (Idefics3ImageProcessor: LANCZOS to 2048×1152, to 2048×1536, 12 tiles + the
 * global 512×512, rescale and normalise) of the 1920×1080 bench photo, steady state: 8 warm-up calls, then the
 * median of 21, on the calling thread and with the resizes split over 2 threads. The peer is
 * {@code casa-bench/scripts/smolvlm_pillow_preprocess.py} (Pillow + NumPy, the same protocol), run right after:
 *
 * <pre>java --add-modules jdk.incubator.vector -cp casa-bench/target/casa-bench.jar dev.casa.bench.smolvlm.SmolVLMPreprocessBench
 * /usr/bin/python3 casa-bench/scripts/smolvlm_pillow_preprocess.py</pre>
 */
public final class SmolVLMPreprocessBench {
    private SmolVLMPreprocessBench() {}

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : SmolVLMModelGenerator.DEFAULT_OUT;
        if (!dir.resolve("preprocessor_config.json").toFile().exists()) SmolVLMModelGenerator.ensure(SmolVLMModelGenerator.defaultReal(), dir);
        Path photo = SmolVLMBench.photo(dir.resolveSibling("photo_1920x1080.png"));
        RgbImage img = ImageDecoder.decode(photo);
        Path config = dir.resolve("preprocessor_config.json");
        System.out.printf("SmolVLM preprocessing of %s, load average %s%n", photo, MachineState.loadAverage());
        try (ThreadPool pool = new ThreadPool(2)) {
            time("1 thread ", ImageProcessors.load(config), img);
            time("2 threads", ImageProcessors.load(config, pool), img);
        }
    }

    private static void time(String label, ImageProcessor processor, RgbImage img) {
        for (int i = 0; i < 8; i++) processor.process(img);
        double[] ms = new double[21];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            processor.process(img);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("casa-java %s: median %.1f ms, best %.1f ms (21 calls after 8 warm-up)%n", label, ms[ms.length / 2], ms[0]);
    }
}
