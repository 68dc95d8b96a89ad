package dev.casa.vision.image;

import dev.casa.core.io.AtomicFiles;
import dev.casa.core.io.Npy;
import dev.casa.vision.processor.ImageProcessor;
import dev.casa.vision.processor.ImageProcessors;
import dev.casa.vision.processor.ProcessedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * {@code casa preprocess --config preprocessor_config.json --image IMG --out PIXELS.npy [--meta-out META.json]}
 * (forward-cli.md, hf-models.md): writes the pixel values HF's slow image processor of that config gives
 * for the image (SigLIP [C, H, W]; Qwen2-VL [patches, C·T·P·P]; Idefics3 [tiles, C, H, W]) as a NumPy v1.0
 * float32 .npy file, and optionally the layout ({@code image_grid_thw}, or tile rows and cols) as JSON.
 * On bad input: one line on {@code err}, exit status 2, and no output file (the result is written to a
 * temporary file beside the target and moved into place only when complete, by {@link Npy}).
 */
public final class PreprocessTool {
    public static final int OK = 0;
    public static final int BAD_INPUT = 2;

    public int run(Path config, Path image, Path out, PrintStream err) {
        return run(config, image, out, null, err);
    }

    /** As {@link #run(Path, Path, Path, PrintStream)}, also writing the layout to {@code metaOut} when not null. */
    public int run(Path config, Path image, Path out, Path metaOut, PrintStream err) {
        try {
            ImageProcessor processor = ImageProcessors.load(config);
            ProcessedImage p = processor.process(ImageDecoder.decode(image));
            Npy.writeFloats(out, p.pixels(), p.shape());
            if (metaOut != null) {
                try {
                    byte[] meta = (ImageProcessors.metaJson(p.layout()) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    AtomicFiles.write(metaOut, channel -> AtomicFiles.writeFully(channel, java.nio.ByteBuffer.wrap(meta)));
                } catch (IOException e) {
                    java.nio.file.Files.deleteIfExists(out);
                    throw e;
                }
            }
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
