package dev.casa.bench.vision;

import dev.casa.vision.image.ImagePreprocessor;
import dev.casa.vision.image.PreprocessorConfig;
import dev.casa.vision.image.RgbImage;
import java.util.SplittableRandom;
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
 * Preprocessing of a 1920×1080 photo-sized frame to the encoder's input (Pillow-exact resize,
 * rescale, normalise, CHW), as for SigLIP-so400m (384) and B/16 (224). The peer is Pillow + NumPy on
 * the same sizes: {@code casa-bench/scripts/pillow_preprocess.py}.
 *
 * <pre>java --add-modules jdk.incubator.vector -jar casa-bench/target/casa-bench.jar PreprocessBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PreprocessBench {
    @Param({"384", "224"})
    int size;

    @Param({"3"})
    int resample;

    RgbImage frame;
    ImagePreprocessor preprocessor;

    @Setup
    public void setup() {
        int w = 1920, h = 1080;
        byte[] rgb = new byte[w * h * 3];
        SplittableRandom r = new SplittableRandom(7);
        // A smooth gradient with noise: resize cost does not depend on content, but keep it photo-like.
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                rgb[i] = (byte) ((x * 255 / w + r.nextInt(16)) & 0xFF);
                rgb[i + 1] = (byte) ((y * 255 / h + r.nextInt(16)) & 0xFF);
                rgb[i + 2] = (byte) (((x + y) * 127 / (w + h) + r.nextInt(16)) & 0xFF);
            }
        }
        frame = RgbImage.ofRgbBytes(w, h, rgb);
        preprocessor = new ImagePreprocessor(PreprocessorConfig.fromJson(
                "{\"size\": {\"height\": " + size + ", \"width\": " + size + "}, \"resample\": " + resample
                        + ", \"do_rescale\": true, \"rescale_factor\": 0.00392156862745098, \"do_normalize\": true,"
                        + " \"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}"));
    }

    @Benchmark
    public float[] preprocess() {
        return preprocessor.preprocess(frame);
    }
}
