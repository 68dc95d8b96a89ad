package dev.casa.core.config;

/**
 * A bad value found while building a config record: {@code key} is the key relative to the record.
 * {@link JsonConfig} turns it into a {@link ModelFormatException} naming the file and the full
 * dotted key ({@code config.json: text_config.hidden_size: ...}).
 */
public class ConfigValueException extends IllegalArgumentException {
    private final String key;
    private final String problem;

    public ConfigValueException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
        this.problem = problem;
    }

    public String key() { return key; }

    public String problem() { return problem; }
}
