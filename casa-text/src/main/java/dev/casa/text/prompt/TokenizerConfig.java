package dev.casa.text.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.config.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the library reads of a model's tokenizer_config.json ({@code bos_token}, {@code eos_token}: a
 * string or an AddedToken object with {@code content}) and its chat template. The template is the
 * processor's own when the directory has one ({@code chat_template.jinja}, then {@code chat_template.json}),
 * as HF processors prefer, else tokenizer_config.json's {@code chat_template} (a string, or a list of
 * named templates of which "default" is used).
 */
public record TokenizerConfig(String bosToken, String eosToken, String chatTemplate) {

    /** Chat templates are text; anything larger is not one. */
    static final long MAX_TEMPLATE_BYTES = 1L << 20;

    public static TokenizerConfig empty() { return new TokenizerConfig(null, null, null); }

    /** Reads what {@code dir} has; every file is optional. */
    public static TokenizerConfig load(Path dir) {
        Path file = dir.resolve("tokenizer_config.json");
        String bos = null, eos = null, template = null;
        if (Files.exists(file)) {
            JsonConfig c = JsonConfig.read(file);
            bos = tokenText(c, "bos_token");
            eos = tokenText(c, "eos_token");
            template = template(c);
        }
        Path jinja = dir.resolve("chat_template.jinja");
        Path json = dir.resolve("chat_template.json");
        if (Files.exists(jinja)) {
            template = readTemplate(jinja);
        } else if (Files.exists(json)) {
            JsonConfig c = JsonConfig.read(json);
            template = template(c);
            if (template == null) throw c.error("chat_template", "missing required key");
        }
        return new TokenizerConfig(bos, eos, template);
    }

    private static String readTemplate(Path file) {
        try {
            return dev.casa.core.io.BoundedFiles.readString(file, MAX_TEMPLATE_BYTES, "chat template");
        } catch (IOException e) {
            throw new ModelFormatException(e.getMessage(), e);
        }
    }

    private static String tokenText(JsonConfig c, String key) {
        JsonNode n = c.node(key);
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        throw c.error(key, "expected a string or an object with \"content\", found " + JsonConfig.describe(n));
    }

    private static String template(JsonConfig c) {
        JsonNode n = c.node("chat_template");
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isArray()) {
            for (JsonNode t : n) {
                if ("default".equals(t.path("name").asText()) && t.path("template").isTextual()) return t.get("template").asText();
            }
            throw c.error("chat_template", "a list of named templates without a \"default\" one");
        }
        throw c.error("chat_template", "expected a string or a list of named templates, found " + JsonConfig.describe(n));
    }
}
