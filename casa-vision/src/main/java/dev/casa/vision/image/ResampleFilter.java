package dev.casa.vision.image;

/**
 * Pillow's resampling filters, with Pillow's numeric codes (the {@code resample} value of
 * preprocessor_config.json) and, for the convolution filters, the kernel and its support at scale 1
 * exactly as Pillow's Resample.c computes them (same expression order, so the same doubles).
 */
public enum ResampleFilter {
    NEAREST(0, 0.0),
    LANCZOS(1, 3.0),
    BILINEAR(2, 1.0),
    BICUBIC(3, 2.0),
    BOX(4, 0.5),
    HAMMING(5, 1.0);

    private final int pillowCode;
    private final double support;

    ResampleFilter(int pillowCode, double support) {
        this.pillowCode = pillowCode;
        this.support = support;
    }

    public int pillowCode() { return pillowCode; }

    /** Half-width of the kernel in source pixels at scale 1. */
    double support() { return support; }

    public static ResampleFilter fromPillowCode(int code) {
        for (ResampleFilter f : values()) {
            if (f.pillowCode == code) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown resample filter " + code
                + " (Pillow codes: 0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
    }

    /** The kernel weight at distance x (in source pixels, already divided by the filter scale). */
    double weight(double x) {
        return switch (this) {
            case BOX -> (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
            case BILINEAR -> {
                double ax = x < 0.0 ? -x : x;
                yield ax < 1.0 ? 1.0 - ax : 0.0;
            }
            case HAMMING -> {
                double ax = x < 0.0 ? -x : x;
                if (ax == 0.0) {
                    yield 1.0;
                }
                if (ax >= 1.0) {
                    yield 0.0;
                }
                ax = ax * Math.PI;
                // Pillow writes the constants as C floats: 0.54f, 0.46f.
                yield Math.sin(ax) / ax * ((double) 0.54f + (double) 0.46f * Math.cos(ax));
            }
            case BICUBIC -> bicubic(x);
            case LANCZOS -> (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
            case NEAREST -> throw new IllegalStateException("NEAREST is not a convolution filter");
        };
    }

    /** Keys' cubic convolution with a = -0.5. */
    private static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        x = x * Math.PI;
        return Math.sin(x) / x;
    }
}
