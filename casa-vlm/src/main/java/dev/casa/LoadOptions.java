package dev.casa;

import dev.casa.core.kernels.ThreadPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How {@link CasaModel#load(java.nio.file.Path, LoadOptions)} loads a model directory.
 *
 * <pre>{@code
 * CasaModel m = CasaModel.load(dir, LoadOptions.defaults().withQuantize(Quantization.Q4_0).withExclude("visual\\."));
 * }</pre>
 *
 * @param pool     the kernel threads (also used to quantize); null for {@link ThreadPool#shared()}
 * @param quantize the block format of the Linear layers, quantized in memory at load (nothing is written);
 *                 {@link Quantization#NONE} keeps the weights as stored
 * @param exclude  tensors to keep as stored: a tensor whose name contains a match of one of these
 *                 patterns ({@link java.util.regex.Matcher#find()}) is not quantized
 */
public record LoadOptions(ThreadPool pool, Quantization quantize, List<Pattern> exclude) {

    public LoadOptions {
        Objects.requireNonNull(quantize, "quantize");
        exclude = List.copyOf(Objects.requireNonNull(exclude, "exclude"));
    }

    /** The shared pool, weights as stored, nothing excluded. */
    public static LoadOptions defaults() {
        return new LoadOptions(null, Quantization.NONE, List.of());
    }

    public LoadOptions withPool(ThreadPool pool) {
        return new LoadOptions(Objects.requireNonNull(pool, "pool"), quantize, exclude);
    }

    public LoadOptions withQuantize(Quantization quantize) {
        return new LoadOptions(pool, quantize, exclude);
    }

    /** {@code none}, {@code q8_0} or {@code q4_0}; see {@link Quantization#parse}. */
    public LoadOptions withQuantize(String quantize) {
        return withQuantize(Quantization.parse(quantize));
    }

    /**
     * Adds tensors to keep as stored, as Java regular expressions searched in the tensor name.
     *
     * @throws IllegalArgumentException naming a pattern that does not compile
     */
    public LoadOptions withExclude(String... regexes) {
        List<Pattern> all = new ArrayList<>(exclude);
        for (String r : regexes) {
            Objects.requireNonNull(r, "exclude pattern");
            try {
                all.add(Pattern.compile(r));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("exclude pattern '" + r + "' is not a regular expression: "
                        + e.getDescription(), e);
            }
        }
        return new LoadOptions(pool, quantize, all);
    }

    /** The pool to run on: {@link #pool} or the shared one. */
    public ThreadPool poolOrShared() {
        return pool != null ? pool : ThreadPool.shared();
    }

    /** Whether {@code tensor} matches an exclude pattern. */
    public boolean excludes(String tensor) {
        for (Pattern p : exclude) {
            if (p.matcher(tensor).find()) return true;
        }
        return false;
    }
}
