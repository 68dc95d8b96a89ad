package dev.casa.bench.qwen;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * A deterministic photo-like test image (no downloads): a landscape with a sky gradient, a sun, three
 * mountain ridges, a lake with a rippled reflection, trees and fine grain, so a JPEG of it has the entropy
 * and size of a real photo (~200–300 KB at 1280×720). The same arguments always give the same pixels; the
 * JPEG bytes are those of the JDK's encoder at the given quality.
 *
 * <pre>java -cp casa-bench/target/casa-bench.jar dev.casa.bench.qwen.TestImage [--out /tmp/casa-bench-models/photo-1280x720.jpg]
 *     [--width 1280] [--height 720] [--quality 90]</pre>
 * The format follows the extension (.jpg/.jpeg or .png).
 */
public final class TestImage {
    private TestImage() {}

    public static void main(String[] argv) throws IOException {
        var a = new dev.casa.bench.e2e.Args(argv, java.util.Set.of("out", "width", "height", "quality"),
                "TestImage [--out FILE.jpg|.png] [--width 1280] [--height 720] [--quality 90]");
        int w = a.integer("width", 1280), h = a.integer("height", 720);
        Path out = Path.of(a.string("out", defaultPath(w, h).toString()));
        write(out, w, h, a.integer("quality", 90));
        System.out.printf("wrote %s (%dx%d, %,d bytes)%n", out.toAbsolutePath(), w, h, Files.size(out));
    }

    /** {@code /tmp/casa-bench-models/photo-WxH.jpg}. */
    public static Path defaultPath(int width, int height) {
        return Path.of("/tmp/casa-bench-models", "photo-" + width + "x" + height + ".jpg");
    }

    /** The image at {@code file} (made if absent; an existing file is kept). */
    public static Path ensure(Path file, int width, int height) throws IOException {
        if (!Files.exists(file)) write(file, width, height, 90);
        return file;
    }

    public static void write(Path file, int width, int height, int quality) throws IOException {
        if (width < 16 || height < 16) throw new IllegalArgumentException("image too small: " + width + "x" + height);
        if (quality < 1 || quality > 100) throw new IllegalArgumentException("quality must be in [1, 100], got " + quality);
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        BufferedImage img = render(width, height);
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".png")) {
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
            return;
        }
        if (!name.endsWith(".jpg") && !name.endsWith(".jpeg")) throw new IllegalArgumentException(file + ": use .jpg, .jpeg or .png");
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam p = writer.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(quality / 100f);
        Files.deleteIfExists(file);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), p);
        } finally {
            writer.dispose();
        }
    }

    static BufferedImage render(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        double horizon = 0.62 * h;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double u = (double) x / w, v = (double) y / h;
                double[] c = y < horizon ? land(u, v, x, y, w, h) : lake(u, v, x, y, w, h, horizon);
                double g = 10 * (hash(x, y) - 0.5); // film grain
                img.setRGB(x, y, rgb(c[0] + g, c[1] + g, c[2] + g));
            }
        }
        return img;
    }

    /** Sky, sun and ridges above the horizon. */
    private static double[] land(double u, double v, int x, int y, int w, int h) {
        double[] c = {70 + 120 * v, 120 + 100 * v, 210 + 30 * v}; // sky: deep blue to pale at the horizon
        double dx = (u - 0.72) * w, dy = (v - 0.22) * h, r = StrictMath.hypot(dx, dy), sun = 0.06 * h;
        if (r < sun) c = new double[] {255, 240, 200};
        else if (r < 4 * sun) blend(c, new double[] {255, 220, 160}, 0.5 * StrictMath.pow(1 - (r - sun) / (3 * sun), 2));
        double clouds = fbm(u * 6, v * 14, 4);
        if (v < 0.35 && clouds > 0.55) blend(c, new double[] {245, 245, 250}, Math.min(1, (clouds - 0.55) * 4));
        double[][] ridges = {{0.40, 0.10, 3.0, 110, 120, 140}, {0.48, 0.07, 5.0, 80, 95, 90}, {0.56, 0.05, 9.0, 50, 75, 45}};
        for (double[] rd : ridges) {
            double top = rd[0] + rd[1] * (StrictMath.sin(u * rd[2] * Math.PI + rd[2]) * 0.6 + (fbm(u * rd[2] * 2, rd[2], 5) - 0.5));
            if (v > top) {
                double shade = 0.75 + 0.5 * fbm(u * 40, v * 40, 3);
                c = new double[] {rd[3] * shade, rd[4] * shade, rd[5] * shade};
            }
        }
        // Trees along the shore: dark triangles of varying height.
        double period = w / 37.0, local = (x % period) / period - 0.5, treeH = 0.05 + 0.04 * hash((int) (x / period), 7);
        double base = 0.62, top = base - treeH;
        if (v > top && v < base && Math.abs(local) < 0.35 * (v - top) / treeH) {
            double s = 0.7 + 0.6 * hash(x / 3, y / 3);
            c = new double[] {25 * s, 60 * s, 30 * s};
        }
        return c;
    }

    /** The lake: the scene above mirrored, darkened and rippled. */
    private static double[] lake(double u, double v, int x, int y, int w, int h, double horizon) {
        double ripple = StrictMath.sin(y * 0.9 + 6 * fbm(u * 8, v * 30, 2)) * 3;
        int mx = Math.max(0, Math.min(w - 1, (int) (x + ripple)));
        int my = Math.max(0, (int) (2 * horizon - y));
        double[] c = land((double) mx / w, (double) my / h, mx, my, w, h);
        double depth = (v - horizon / h) / (1 - horizon / h);
        for (int i = 0; i < 3; i++) c[i] = c[i] * (0.7 - 0.3 * depth) + (i == 2 ? 40 : 15) * depth;
        return c;
    }

    private static void blend(double[] c, double[] to, double t) {
        for (int i = 0; i < 3; i++) c[i] += (to[i] - c[i]) * t;
    }

    /** Fractal value noise in [0, 1]. */
    private static double fbm(double x, double y, int octaves) {
        double sum = 0, amp = 0.5, norm = 0;
        for (int o = 0; o < octaves; o++) {
            sum += amp * valueNoise(x, y, o);
            norm += amp;
            x *= 2;
            y *= 2;
            amp *= 0.5;
        }
        return sum / norm;
    }

    private static double valueNoise(double x, double y, int seed) {
        int xi = (int) Math.floor(x), yi = (int) Math.floor(y);
        double fx = x - xi, fy = y - yi;
        fx = fx * fx * (3 - 2 * fx);
        fy = fy * fy * (3 - 2 * fy);
        double a = hash(xi + 1000 * seed, yi), b = hash(xi + 1 + 1000 * seed, yi);
        double c = hash(xi + 1000 * seed, yi + 1), d = hash(xi + 1 + 1000 * seed, yi + 1);
        return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy;
    }

    /** A deterministic hash of two integers to [0, 1). */
    private static double hash(int x, int y) {
        long z = x * 0x9E3779B97F4A7C15L + y * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    private static int rgb(double r, double g, double b) {
        return clamp(r) << 16 | clamp(g) << 8 | clamp(b);
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
