package dev.casa.bench.qwen;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A stand-in for Qwen2.5's tokenizer.json with the real structure and sizes: Qwen2's NFC normalizer, Split
 * regex and byte-level pre-tokenizer and decoder, a byte-level BPE of 151,643 tokens (the 256 byte symbols in
 * GPT-2's order, then 151,387 merges) and the 22 added tokens at their real ids 151643..151664. The merges
 * are synthetic (letter n-grams, whitespace runs), not Qwen's: text encodes to plausible-length ids and every
 * id decodes, which is all a random-weight model needs.
 */
public final class QwenTokenizerWriter {
    /** Regular (BPE) tokens: ids 0..151642. */
    public static final int BPE_TOKENS = 151_643;

    /** Qwen2.5's added tokens from id 151643 on; the first 14 are special. */
    static final String[] ADDED = {
        "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
        "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
        "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
        "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"};
    static final int SPECIAL_ADDED = 14;

    /** Qwen2's pre-tokenizer pattern. */
    static final String SPLIT_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private QwenTokenizerWriter() {}

    /** GPT-2's byte → symbol table: printable Latin-1 bytes stand for themselves, the rest map to U+0100... */
    public static String[] byteSymbols() {
        List<Integer> bytes = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bytes.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bytes.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bytes.add(b);
        List<Integer> codes = new ArrayList<>(bytes);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bytes.contains(b)) {
                bytes.add(b);
                codes.add(256 + n++);
            }
        }
        // Vocabulary ids 0..255 follow this order (id 0 = "!"), as in GPT-2 and Qwen2.
        String[] symbols = new String[256];
        for (int i = 0; i < 256; i++) symbols[i] = new String(Character.toChars(codes.get(i)));
        return symbols;
    }

    /** The merges, in rank order; merge i creates token 256 + i. */
    static List<String[]> merges() {
        String sp = "\u0120", nl = "\u010A"; // byte-level symbols of ' ' and '\n'
        List<String[]> m = new ArrayList<>();
        Set<String> made = new HashSet<>();
        for (String[] ws : new String[][] {{sp, sp}, {nl, nl}, {sp + sp, sp + sp}, {sp + sp + sp + sp, sp + sp + sp + sp}}) {
            add(m, made, ws[0], ws[1]);
        }
        char[] lower = "etaoinshrdlcumwfgypbvkjxqz".toCharArray(); // rough English frequency order
        char[] upper = "TSAMCIBPDHRLFWNEGOJKUVYQXZ".toCharArray();
        for (char a : lower) add(m, made, sp, String.valueOf(a));
        for (char a : lower) for (char b : lower) add(m, made, String.valueOf(a), String.valueOf(b));
        for (char a : upper) add(m, made, sp, String.valueOf(a));
        for (char a : upper) for (char b : lower) add(m, made, String.valueOf(a), String.valueOf(b));
        for (char a : lower) for (char b : lower) add(m, made, sp + a, String.valueOf(b));
        for (char a : upper) for (char b : lower) add(m, made, sp + a, String.valueOf(b));
        for (char a : lower) for (char b : lower) for (char c : lower) add(m, made, "" + a + b, String.valueOf(c));
        for (char a : upper) for (char b : lower) for (char c : lower) add(m, made, "" + a + b, String.valueOf(c));
        for (char a : lower) for (char b : lower) for (char c : lower) add(m, made, sp + a + b, String.valueOf(c));
        // The rest: four-letter words "abc"+"d" in a fixed pseudo-random order, until the vocabulary is full.
        int need = BPE_TOKENS - 256;
        List<String> quads = new ArrayList<>();
        for (char a : lower) for (char b : lower) for (char c : lower) for (char d : lower) quads.add("" + a + b + c + d);
        SplittableRandom rnd = new SplittableRandom(2_5);
        for (int i = quads.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            String x = quads.get(i);
            quads.set(i, quads.get(j));
            quads.set(j, x);
        }
        for (int i = 0; m.size() < need; i++) {
            String q = quads.get(i);
            add(m, made, q.substring(0, 3), q.substring(3));
        }
        return m;
    }

    private static void add(List<String[]> merges, Set<String> made, String a, String b) {
        if (merges.size() < BPE_TOKENS - 256 && made.add(a + b)) merges.add(new String[] {a, b});
    }

    /** The {@code added_tokens} field: Qwen2.5's 22 added tokens at their real ids (151643 on), the first 14 special. */
    public static void writeAddedTokens(JsonGenerator g) throws IOException {
        g.writeArrayFieldStart("added_tokens");
        for (int i = 0; i < ADDED.length; i++) {
            g.writeStartObject();
            g.writeNumberField("id", BPE_TOKENS + i);
            g.writeStringField("content", ADDED[i]);
            g.writeBooleanField("single_word", false);
            g.writeBooleanField("lstrip", false);
            g.writeBooleanField("rstrip", false);
            g.writeBooleanField("normalized", false);
            g.writeBooleanField("special", i < SPECIAL_ADDED);
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** Writes tokenizer.json (streamed; about 5 MB). */
    /** Opens tokenizer.json's {@code "model"} object with HF's byte-level BPE options; vocab and merges follow. */
    public static void writeBpeModelStart(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("model");
        g.writeStringField("type", "BPE");
        g.writeNullField("dropout");
        g.writeNullField("unk_token");
        g.writeNullField("continuing_subword_prefix");
        g.writeNullField("end_of_word_suffix");
        g.writeBooleanField("fuse_unk", false);
        g.writeBooleanField("byte_fallback", false);
        g.writeBooleanField("ignore_merges", false);
    }

    public static void write(Path file) throws IOException {
        String[] symbols = byteSymbols();
        List<String[]> merges = merges();
        if (merges.size() != BPE_TOKENS - 256) throw new IllegalStateException("only " + merges.size() + " merges");
        try (JsonGenerator g = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            writeAddedTokens(g);
            g.writeObjectFieldStart("normalizer");
            g.writeStringField("type", "NFC");
            g.writeEndObject();
            g.writeObjectFieldStart("pre_tokenizer");
            g.writeStringField("type", "Sequence");
            g.writeArrayFieldStart("pretokenizers");
            g.writeStartObject();
            g.writeStringField("type", "Split");
            g.writeObjectFieldStart("pattern");
            g.writeStringField("Regex", SPLIT_REGEX);
            g.writeEndObject();
            g.writeStringField("behavior", "Isolated");
            g.writeBooleanField("invert", false);
            g.writeEndObject();
            byteLevel(g, null);
            g.writeEndArray();
            g.writeEndObject();
            byteLevel(g, "post_processor");
            byteLevel(g, "decoder");
            writeBpeModelStart(g);
            g.writeObjectFieldStart("vocab");
            for (int i = 0; i < 256; i++) g.writeNumberField(symbols[i], i);
            for (int i = 0; i < merges.size(); i++) g.writeNumberField(merges.get(i)[0] + merges.get(i)[1], 256 + i);
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (String[] pair : merges) g.writeString(pair[0] + " " + pair[1]);
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void byteLevel(JsonGenerator g, String field) throws IOException {
        if (field == null) g.writeStartObject();
        else g.writeObjectFieldStart(field);
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", false);
        g.writeBooleanField("trim_offsets", true);
        g.writeBooleanField("use_regex", false);
        g.writeEndObject();
    }
}
