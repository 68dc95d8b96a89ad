package dev.casa.core.config;

import java.util.List;

/**
 * Checks for the compact constructors of config records: each names the key it checks, so an error
 * reads {@code text_config.num_key_value_heads: must divide num_attention_heads=16, found 5}.
 */
public final class ConfigChecks {
    private ConfigChecks() {}

    public static int positive(String key, int value) {
        if (value <= 0) throw new ConfigValueException(key, "expected a positive integer, found " + value);
        return value;
    }

    public static double positive(String key, double value) {
        if (!(value > 0) || Double.isInfinite(value)) throw new ConfigValueException(key, "expected a positive number, found " + value);
        return value;
    }

    public static int nonNegative(String key, int value) {
        if (value < 0) throw new ConfigValueException(key, "expected an integer >= 0, found " + value);
        return value;
    }

    /** The value of a required key: absent (null) is an error. */
    public static <T> T required(String key, T value) {
        if (value == null) throw new ConfigValueException(key, "missing required key");
        return value;
    }

    public static void check(boolean ok, String key, String problem) {
        if (!ok) throw new ConfigValueException(key, problem);
    }

    /** A token id in [0, vocab). */
    public static int tokenId(String key, int id, int vocab) {
        if (id < 0 || id >= vocab) throw new ConfigValueException(key, "token id " + id + " out of range [0, vocab_size=" + vocab + ")");
        return id;
    }

    public static List<Integer> copy(List<Integer> values) {
        return values == null ? List.of() : List.copyOf(values);
    }
}
