package dev.casa.vision.image;

import dev.casa.core.io.Npy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code casa preprocess --config preprocessor_config.json --image IMG --out PIXELS.npy}
 * (forward-cli.md): writes the §5 pixel values as float32 [C, H, W], a NumPy v1.0 .npy file.
 * On bad input: one line on {@code err}, exit status 2, and no output file (the result is written to a
 * temporary file beside the target and moved into place only when complete, by {@link Npy}).
 */
public final class PreprocessTool {
    public static final int OK = 0;
    public static final int BAD_INPUT = 2;

    public int run(Path config, Path image, Path out, PrintStream err) {
        try {
            ImagePreprocessor preprocessor = new ImagePreprocessor(PreprocessorConfig.load(config));
            RgbImage rgb = ImageDecoder.decode(image);
            RgbImage resized = preprocessor.resize(rgb);
            float[] pixels = preprocessor.preprocess(resized); // already at size: not resized again
            Npy.writeFloats(out, pixels, ImagePreprocessor.CHANNELS, resized.height(), resized.width());
            return OK;
        } catch (ImageDecodeException | IllegalArgumentException | IllegalStateException e) {
            err.println("casa preprocess: " + oneLine(e.getMessage()));
            return BAD_INPUT;
        } catch (IOException e) {
            err.println("casa preprocess: cannot write " + out + ": " + oneLine(String.valueOf(e)));
            return BAD_INPUT;
        }
    }

    private static String oneLine(String message) {
        return message == null ? "unknown error" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
