package dev.casa.text.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Builds a {@link Tokenizer} from the JSON of HF's {@code tokenizer.json}. */
final class TokenizerJson {
    private TokenizerJson() {}

    static Tokenizer parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new TokenizerException("tokenizer.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new TokenizerException("tokenizer.json: expected a JSON object");
        String lone = loneSurrogate(root, "");
        if (lone != null) throw new TokenizerException("tokenizer.json: " + lone + " (HF tokenizers refuses such a file too)");
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        BpeModel model = model(required(root, "model", "tokenizer.json"));
        TextNormalizer normalizer = present(root.get("normalizer")) ? normalizer(root.get("normalizer")) : null;
        PreTokenizer preTokenizer = present(root.get("pre_tokenizer")) ? preTokenizer(root.get("pre_tokenizer")) : null;
        PostProcessor post = present(root.get("post_processor")) ? postProcessor(root.get("post_processor")) : null;
        TokenDecoder decoder = present(root.get("decoder")) ? decoder(root.get("decoder")) : null;
        return new Tokenizer(model, normalizer, preTokenizer, post, decoder, added);
    }

    /**
     * Where the first string (key or value) holding a lone surrogate escape such as {@code "\\ud83d"} is,
     * or null. Jackson accepts such escapes; serde_json, and so HF, refuses them; a vocabulary entry with
     * one would decode to text that is not Unicode.
     */
    private static String loneSurrogate(JsonNode node, String path) {
        if (node.isTextual()) {
            int i = LoneSurrogates.find(node.textValue());
            return i < 0 ? null : LoneSurrogates.describe(node.textValue(), i) + " in the string at " + path;
        }
        if (node.isArray()) {
            for (int k = 0; k < node.size(); k++) {
                String found = loneSurrogate(node.get(k), path + "[" + k + "]");
                if (found != null) return found;
            }
        } else if (node.isObject()) {
            for (var it = node.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                int i = LoneSurrogates.find(e.getKey());
                if (i >= 0) return LoneSurrogates.describe(e.getKey(), i) + " in a key of " + (path.isEmpty() ? "the top object" : path);
                String found = loneSurrogate(e.getValue(), path + "." + e.getKey());
                if (found != null) return found;
            }
        }
        return null;
    }

    private static boolean present(JsonNode n) { return n != null && !n.isNull() && !n.isMissingNode(); }

    private static JsonNode required(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (!present(v)) throw new TokenizerException(where + ": missing field '" + field + "'");
        return v;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = required(node, field, where);
        if (!v.isTextual()) throw new TokenizerException(where + "." + field + ": expected a string, found " + v.getNodeType());
        return v.asText();
    }

    private static String optionalText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return present(v) ? v.asText() : null;
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode v = node.get(field);
        return present(v) ? v.asBoolean() : fallback;
    }

    private static String type(JsonNode node, String where) {
        if (!node.isObject()) throw new TokenizerException(where + ": expected an object, found " + node.getNodeType());
        return text(node, "type", where);
    }

    private static int singleCodePoint(String s, String where) {
        if (s.codePointCount(0, s.length()) != 1) throw new TokenizerException(where + ": expected one character, found '" + s + "'");
        return s.codePointAt(0);
    }

    // ---------- added tokens and model ----------

    private static List<AddedToken> addedTokens(JsonNode array) {
        List<AddedToken> out = new ArrayList<>();
        if (!present(array)) return out;
        if (!array.isArray()) throw new TokenizerException("added_tokens: expected an array");
        for (JsonNode t : array) {
            JsonNode id = required(t, "id", "added_tokens[]");
            if (!id.canConvertToInt() || id.asInt() < 0) throw new TokenizerException("added_tokens[]: bad id " + id);
            boolean special = bool(t, "special", false);
            out.add(new AddedToken(id.asInt(), text(t, "content", "added_tokens[]"), special,
                    bool(t, "single_word", false), bool(t, "lstrip", false), bool(t, "rstrip", false),
                    bool(t, "normalized", !special)));
        }
        return out;
    }

    private static BpeModel model(JsonNode node) {
        String type = node.has("type") ? type(node, "model") : "BPE";
        if (!type.equals("BPE")) throw new TokenizerException("model: unsupported type '" + type + "' (only BPE is supported)");
        JsonNode vocabNode = required(node, "vocab", "model");
        if (!vocabNode.isObject()) throw new TokenizerException("model.vocab: expected an object");
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            if (!e.getValue().canConvertToInt()) throw new TokenizerException("model.vocab['" + e.getKey() + "']: expected an integer id");
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        List<String[]> merges = new ArrayList<>();
        JsonNode mergesNode = node.path("merges");
        for (JsonNode m : mergesNode) {
            if (m.isTextual()) {
                // Legacy form "a b": the first space separates the two parts.
                String s = m.asText();
                int space = s.indexOf(' ');
                if (space < 0) throw new TokenizerException("model.merges: '" + s + "' is not of the form \"a b\"");
                merges.add(new String[] {s.substring(0, space), s.substring(space + 1)});
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new TokenizerException("model.merges: bad entry " + m);
            }
        }
        return new BpeModel(vocab, merges, new BpeModel.Options(optionalText(node, "unk_token"),
                bool(node, "fuse_unk", false), bool(node, "byte_fallback", false), bool(node, "ignore_merges", false),
                optionalText(node, "continuing_subword_prefix"), optionalText(node, "end_of_word_suffix")));
    }

    // ---------- components ----------

    private static Pattern pattern(JsonNode node, String where) {
        JsonNode p = required(node, "pattern", where);
        if (p.has("String")) return Pattern.compile(Pattern.quote(p.get("String").asText()));
        if (p.has("Regex")) return OnigurumaRegex.compile(p.get("Regex").asText());
        throw new TokenizerException(where + ".pattern: expected {\"String\": ...} or {\"Regex\": ...}, found " + p);
    }

    private static TextNormalizer normalizer(JsonNode node) {
        String type = type(node, "normalizer");
        String where = "normalizer " + type;
        return switch (type) {
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                for (JsonNode n : required(node, "normalizers", where)) steps.add(normalizer(n));
                yield new Normalizers.Sequence(steps);
            }
            case "NFC" -> new Normalizers.Unicode(Normalizer.Form.NFC);
            case "NFD" -> new Normalizers.Unicode(Normalizer.Form.NFD);
            case "NFKC" -> new Normalizers.Unicode(Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizers.Unicode(Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizers.Lowercase();
            case "Strip" -> new Normalizers.Strip(bool(node, "strip_left", true), bool(node, "strip_right", true));
            case "Prepend" -> new Normalizers.Prepend(text(node, "prepend", where));
            case "Replace" -> new Normalizers.Replace(pattern(node, where), text(node, "content", where));
            default -> throw new TokenizerException("normalizer: unsupported type '" + type + "'");
        };
    }

    private static PreTokenizers.PrependScheme prependScheme(JsonNode node) {
        String scheme = optionalText(node, "prepend_scheme");
        if (scheme != null) return PreTokenizers.PrependScheme.fromJson(scheme);
        // Files written before prepend_scheme existed say add_prefix_space.
        return bool(node, "add_prefix_space", true) ? PreTokenizers.PrependScheme.ALWAYS : PreTokenizers.PrependScheme.NEVER;
    }

    private static PreTokenizer preTokenizer(JsonNode node) {
        String type = type(node, "pre_tokenizer");
        String where = "pre_tokenizer " + type;
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode n : required(node, "pretokenizers", where)) steps.add(preTokenizer(n));
                yield new PreTokenizers.Sequence(steps);
            }
            case "Metaspace" -> new PreTokenizers.Metaspace(singleCodePoint(text(node, "replacement", where), where),
                    prependScheme(node), bool(node, "split", true));
            case "ByteLevel" -> new PreTokenizers.ByteLevel(bool(node, "add_prefix_space", true), bool(node, "use_regex", true));
            case "Split" -> new PreTokenizers.Split(pattern(node, where),
                    SplitBehavior.fromJson(text(node, "behavior", where)), bool(node, "invert", false));
            case "Digits" -> PreTokenizers.digits(bool(node, "individual_digits", false));
            case "Punctuation" -> PreTokenizers.punctuation(node.has("behavior")
                    ? SplitBehavior.fromJson(text(node, "behavior", where)) : SplitBehavior.ISOLATED);
            case "Whitespace" -> PreTokenizers.whitespace();
            case "WhitespaceSplit" -> PreTokenizers.whitespaceSplit();
            case "CharDelimiterSplit" -> {
                int delimiter = singleCodePoint(text(node, "delimiter", where), where);
                yield new PreTokenizers.CharSplit(c -> c == delimiter, SplitBehavior.REMOVED);
            }
            default -> throw new TokenizerException("pre_tokenizer: unsupported type '" + type + "'");
        };
    }

    private static PostProcessor postProcessor(JsonNode node) {
        String type = type(node, "post_processor");
        String where = "post_processor " + type;
        return switch (type) {
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonNode n : required(node, "processors", where)) steps.add(postProcessor(n));
                yield new PostProcessors.Sequence(steps);
            }
            case "ByteLevel" -> new PostProcessors.Identity();
            case "TemplateProcessing" -> template(node, where);
            case "RobertaProcessing", "BertProcessing" -> {
                int cls = tokenIdPair(required(node, "cls", where), where + ".cls");
                int sep = tokenIdPair(required(node, "sep", where), where + ".sep");
                yield new PostProcessors.Template(new int[] {cls}, new int[] {sep});
            }
            default -> throw new TokenizerException("post_processor: unsupported type '" + type + "'");
        };
    }

    private static int tokenIdPair(JsonNode pair, String where) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(1).canConvertToInt()) {
            throw new TokenizerException(where + ": expected [token, id], found " + pair);
        }
        return pair.get(1).asInt();
    }

    private static PostProcessor template(JsonNode node, String where) {
        JsonNode specials = node.path("special_tokens");
        List<Integer> before = new ArrayList<>(), after = new ArrayList<>();
        boolean seenSequence = false;
        for (JsonNode item : required(node, "single", where)) {
            if (item.has("Sequence")) {
                if (seenSequence) throw new TokenizerException(where + ": the single template has two sequences");
                seenSequence = true;
            } else if (item.has("SpecialToken")) {
                String name = text(item.get("SpecialToken"), "id", where + ".single");
                JsonNode special = specials.get(name);
                if (!present(special)) throw new TokenizerException(where + ": special token '" + name + "' is not in special_tokens");
                for (JsonNode id : required(special, "ids", where + ".special_tokens")) (seenSequence ? after : before).add(id.asInt());
            } else {
                throw new TokenizerException(where + ": bad template item " + item);
            }
        }
        if (!seenSequence) throw new TokenizerException(where + ": the single template has no sequence");
        return new PostProcessors.Template(before.stream().mapToInt(Integer::intValue).toArray(),
                after.stream().mapToInt(Integer::intValue).toArray());
    }

    private static TokenDecoder decoder(JsonNode node) {
        String type = type(node, "decoder");
        String where = "decoder " + type;
        return switch (type) {
            case "Sequence" -> {
                List<TokenDecoder> steps = new ArrayList<>();
                for (JsonNode n : required(node, "decoders", where)) steps.add(decoder(n));
                yield new Decoders.Sequence(steps);
            }
            case "ByteLevel" -> new Decoders.ByteLevel();
            case "Metaspace" -> new Decoders.Metaspace(singleCodePoint(text(node, "replacement", where), where), prependScheme(node));
            case "ByteFallback" -> new Decoders.ByteFallback();
            case "Fuse" -> new Decoders.Fuse();
            case "Strip" -> new Decoders.Strip(singleCodePoint(text(node, "content", where), where),
                    node.path("start").asInt(0), node.path("stop").asInt(0));
            case "Replace" -> {
                JsonNode p = required(node, "pattern", where);
                String literal = p.has("String") ? p.get("String").asText() : null;
                yield new Decoders.Replace(literal, pattern(node, where), text(node, "content", where));
            }
            case "BPEDecoder" -> new Decoders.BpeSuffix(node.has("suffix") ? text(node, "suffix", where) : "</w>");
            default -> throw new TokenizerException("decoder: unsupported type '" + type + "'");
        };
    }
}
