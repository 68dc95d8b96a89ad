package dev.casa.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.text.prompt.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated {@code POST /v1/chat/completions} body. Images are only referenced here ({@link ImageRef});
 * {@link ImageLoader} reads and decodes them.
 *
 * <p>Like OpenAI's API, an unrecognised top-level field is an error (a typo must not be silently
 * ignored). Fields we know but do not implement are accepted only with their neutral value
 * ({@code n: 1}, {@code frequency_penalty: 0}, {@code tools: []}, ...); fields that only describe the
 * caller ({@code user}, {@code metadata}, ...) are ignored.
 */
record ChatRequest(List<ChatMessage> messages, List<ImageRef> images, Integer maxTokens, Sampling sampling,
                   List<String> stop, boolean ignoreEos, boolean stream, boolean includeUsage) {

    /** An image part: where it was in the request (for errors) and its URL. */
    record ImageRef(String param, String url) {}

    /** Only what the request set; null: the model's default. */
    record Sampling(Double temperature, Double topP, Long seed) {}

    private static final Set<String> IGNORED = Set.of("model", "user", "store", "metadata", "service_tier",
            "parallel_tool_calls", "prompt_cache_key", "safety_identifier", "stream_options");

    /** Known, not implemented: accepted only with the value that changes nothing. */
    private static final Map<String, String> NEUTRAL = Map.of(
            "n", "1", "frequency_penalty", "0", "presence_penalty", "0", "logprobs", "false",
            "logit_bias", "{}", "tools", "[]", "tool_choice", "\"none\"", "response_format", "{\"type\":\"text\"}",
            "modalities", "[\"text\"]", "top_logprobs", "0");

    /** Implemented; {@code ignore_eos} is the extension vLLM and llama.cpp's server have (generate to max_tokens). */
    private static final Set<String> KNOWN = Set.of("messages", "max_tokens", "max_completion_tokens", "temperature",
            "top_p", "seed", "stop", "stream", "ignore_eos");

    static ChatRequest parse(JsonNode body) {
        if (!body.isObject()) throw ApiException.invalid(null, "invalid_type", "The request body must be a JSON object.");
        body.fieldNames().forEachRemaining(ChatRequest::checkField);
        for (var e : NEUTRAL.entrySet()) checkNeutral(body, e.getKey(), e.getValue());
        Params.string(body, "model", "model");

        JsonNode msgs = body.get("messages");
        if (msgs == null || msgs.isNull()) throw ApiException.invalid("messages", "missing_required_parameter", "Missing required parameter: 'messages'.");
        if (!msgs.isArray()) throw Params.wrongType("messages", "an array", msgs);
        if (msgs.isEmpty()) throw Params.badValue("messages", "at least one message is required.");
        List<ChatMessage> messages = new ArrayList<>();
        List<ImageRef> images = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) messages.add(message(msgs.get(i), "messages[" + i + "]", images));

        Integer maxTokens = Params.integer(body, "max_completion_tokens", "max_completion_tokens", 1, Integer.MAX_VALUE);
        Integer legacy = Params.integer(body, "max_tokens", "max_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens == null) maxTokens = legacy;
        Sampling sampling = new Sampling(Params.number(body, "temperature", "temperature", 0, 2),
                Params.number(body, "top_p", "top_p", 0, 1), Params.longValue(body, "seed", "seed", Long.MIN_VALUE, Long.MAX_VALUE));
        List<String> stop = Params.stop(body, "stop");
        boolean ignoreEos = Boolean.TRUE.equals(Params.bool(body, "ignore_eos", "ignore_eos"));
        boolean stream = Boolean.TRUE.equals(Params.bool(body, "stream", "stream"));
        boolean includeUsage = false;
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!options.isObject()) throw Params.wrongType("stream_options", "an object", options);
            includeUsage = Boolean.TRUE.equals(Params.bool(options, "include_usage", "stream_options.include_usage"));
        }
        return new ChatRequest(messages, images, maxTokens, sampling, stop, ignoreEos, stream, includeUsage);
    }

    private static void checkField(String name) {
        if (!KNOWN.contains(name) && !IGNORED.contains(name) && !NEUTRAL.containsKey(name)) {
            throw ApiException.invalid(name, "unknown_parameter", "Unrecognized request argument supplied: " + name);
        }
    }

    private static void checkNeutral(JsonNode body, String field, String neutral) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return;
        JsonNode expected;
        try {
            expected = Json.MAPPER.readTree(neutral);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        boolean ok = n.equals(expected) || (n.isNumber() && expected.isNumber() && n.doubleValue() == expected.doubleValue())
                || (field.equals("tool_choice") && n.isTextual() && n.textValue().equals("auto") && !body.has("tools"));
        if (!ok) {
            throw ApiException.invalid(field, "unsupported_parameter",
                    "Unsupported parameter: '" + field + "' is not supported by this server (only " + neutral + " is accepted).");
        }
    }

    private static ChatMessage message(JsonNode m, String param, List<ImageRef> images) {
        if (!m.isObject()) throw Params.wrongType(param, "an object", m);
        String role = Params.string(m, "role", param + ".role");
        if (role == null) throw ApiException.invalid(param + ".role", "missing_required_parameter", "Missing required parameter: '" + param + ".role'.");
        role = switch (role) {
            case "system", "developer" -> "system";
            case "user", "assistant" -> role;
            default -> throw Params.badValue(param + ".role", "'" + role + "' is not supported (use system, developer, user or assistant).");
        };
        JsonNode calls = m.get("tool_calls");
        if (calls != null && !calls.isNull() && !(calls.isArray() && calls.isEmpty())) {
            throw ApiException.invalid(param + ".tool_calls", "unsupported_parameter", "Tool calls are not supported by this server.");
        }
        JsonNode content = m.get("content");
        List<ChatMessage.Part> parts = new ArrayList<>();
        if (content == null || content.isNull()) {
            throw ApiException.invalid(param + ".content", "missing_required_parameter", "Missing required parameter: '" + param + ".content'.");
        } else if (content.isTextual()) {
            parts.add(new ChatMessage.Text(content.textValue()));
        } else if (content.isArray()) {
            for (int j = 0; j < content.size(); j++) {
                parts.add(part(content.get(j), param + ".content[" + j + "]", role, images));
            }
        } else {
            throw Params.wrongType(param + ".content", "a string or an array of content parts", content);
        }
        return new ChatMessage(role, parts);
    }

    private static ChatMessage.Part part(JsonNode p, String param, String role, List<ImageRef> images) {
        if (!p.isObject()) throw Params.wrongType(param, "an object", p);
        String type = Params.string(p, "type", param + ".type");
        if (type == null) throw ApiException.invalid(param + ".type", "missing_required_parameter", "Missing required parameter: '" + param + ".type'.");
        switch (type) {
            case "text": {
                String text = Params.string(p, "text", param + ".text");
                if (text == null) throw ApiException.invalid(param + ".text", "missing_required_parameter", "Missing required parameter: '" + param + ".text'.");
                return new ChatMessage.Text(text);
            }
            case "image_url": {
                if (!role.equals("user")) throw Params.badValue(param + ".type", "images are only allowed in user messages.");
                JsonNode iu = p.get("image_url");
                String url;
                String urlParam = param + ".image_url";
                if (iu != null && iu.isTextual()) {
                    url = iu.textValue();
                } else if (iu != null && iu.isObject()) {
                    url = Params.string(iu, "url", urlParam + ".url");
                    urlParam += ".url";
                    Params.string(iu, "detail", param + ".image_url.detail");
                } else if (iu == null || iu.isNull()) {
                    url = null;
                } else {
                    throw Params.wrongType(urlParam, "an object", iu);
                }
                if (url == null) throw ApiException.invalid(urlParam, "missing_required_parameter", "Missing required parameter: '" + urlParam + "'.");
                images.add(new ImageRef(urlParam, url));
                return new ChatMessage.Image();
            }
            default:
                throw Params.badValue(param + ".type", "'" + type + "' is not supported (use text or image_url).");
        }
    }
}
