package dev.casa.vision.image;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code casa preprocess --config preprocessor_config.json --image IMG --out PIXELS.npy}
 * (forward-cli.md): writes the §5 pixel values as float32 [C, H, W], a NumPy v1.0 .npy file.
 * On bad input: one line on {@code err}, exit status 2, and no output file (the result is written to a
 * temporary file beside the target and moved into place only when complete).
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
            writeAtomically(out, new int[] {ImagePreprocessor.CHANNELS, resized.height(), resized.width()}, pixels);
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

    private static void writeAtomically(Path out, int[] shape, float[] data) throws IOException {
        Path absolute = out.toAbsolutePath();
        Path dir = absolute.getParent();
        Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                NpyFloat32.write(os, shape, data);
            }
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Minimal NumPy v1.0 writer for little-endian float32 in C order (to be replaced by casa-core's Npy). */
    static final class NpyFloat32 {
        private NpyFloat32() {}

        static void write(OutputStream os, int[] shape, float[] data) throws IOException {
            StringBuilder dims = new StringBuilder();
            for (int d : shape) {
                dims.append(d).append(", ");
            }
            String shapeText = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + dims.substring(0, dims.length() - 2) + ")";
            String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
            // magic (6) + version (2) + length (2) + dict + padding + '\n' is a multiple of 64, as NumPy writes it
            int unpadded = 10 + dict.length() + 1;
            String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
            ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
            head.putShort((short) header.length());
            os.write(head.array());
            os.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer body = ByteBuffer.allocate(4 * 8192).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < data.length; i += 8192) {
                body.clear();
                int n = Math.min(8192, data.length - i);
                body.asFloatBuffer().put(data, i, n);
                os.write(body.array(), 0, 4 * n);
            }
        }
    }
}
