package dev.casa.vision.processor;

import dev.casa.vision.image.ResampleFilter;

/** Validation shared by the config records' creators; errors name the key. */
final class ProcessorConfigs {
    /** A sane bound on side lengths in configs, far above any real model's (HF: 4096 for Idefics3). */
    static final int MAX_SIDE = 1 << 16;

    private ProcessorConfigs() {}

    static int positive(String key, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value <= 0 || value > MAX_SIDE) {
            throw new BadConfigValue(key, "expected a positive integer" + (value > 0 ? " up to " + MAX_SIDE : "")
                    + ", found " + value);
        }
        return value;
    }

    static ResampleFilter resample(Integer code, ResampleFilter fallback) {
        if (code == null) {
            return fallback;
        }
        try {
            return ResampleFilter.fromPillowCode(code);
        } catch (IllegalArgumentException e) {
            throw new BadConfigValue("resample", e.getMessage());
        }
    }
}
