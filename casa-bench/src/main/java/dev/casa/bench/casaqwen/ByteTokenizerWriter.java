package dev.casa.bench.casaqwen;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.casa.bench.qwen.QwenTokenizerWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A byte-level tokenizer.json with Qwen2.5's added tokens at their real ids (151643..151664), for a
 * random-weight model: text encodes to one id per UTF-8 byte (ids 0..255 in GPT-2's byte order, no
 * merges), so prompts are longer than with Qwen's BPE; ids 256..151642 are filler tokens (2–4 lowercase
 * letters) so that every id a random model emits decodes to plain text.
 */
final class ByteTokenizerWriter {
    /** Regular tokens: ids 0..151642, as in Qwen2.5. */
    static final int REGULAR_TOKENS = QwenTokenizerWriter.BPE_TOKENS;

    private ByteTokenizerWriter() {}

    static void write(Path file) throws IOException {
        String[] vocab = vocabulary();
        try (JsonGenerator g = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            QwenTokenizerWriter.writeAddedTokens(g);
            g.writeNullField("normalizer");
            byteLevel(g, "pre_tokenizer");
            g.writeNullField("post_processor");
            byteLevel(g, "decoder");
            QwenTokenizerWriter.writeBpeModelStart(g);
            g.writeObjectFieldStart("vocab");
            for (int id = 0; id < vocab.length; id++) g.writeNumberField(vocab[id], id);
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void byteLevel(JsonGenerator g, String field) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", false);
        g.writeBooleanField("trim_offsets", true);
        g.writeBooleanField("use_regex", true);
        g.writeEndObject();
    }

    /** Ids 0..255: GPT-2's byte symbols; then distinct lowercase strings of 2, 3, 4 letters. */
    static String[] vocabulary() {
        String[] v = new String[REGULAR_TOKENS];
        String[] bytes = QwenTokenizerWriter.byteSymbols();
        System.arraycopy(bytes, 0, v, 0, 256);
        int id = 256;
        for (int len = 2; id < REGULAR_TOKENS; len++) {
            char[] s = new char[len];
            java.util.Arrays.fill(s, 'a');
            while (id < REGULAR_TOKENS) {
                v[id++] = new String(s);
                int i = len - 1;
                while (i >= 0 && s[i] == 'z') s[i--] = 'a';
                if (i < 0) break;
                s[i]++;
            }
        }
        return v;
    }
}
