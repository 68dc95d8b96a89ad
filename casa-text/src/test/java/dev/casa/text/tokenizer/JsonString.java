package dev.casa.text.tokenizer;

/** Readable quoting of test strings in assertion messages. */
final class JsonString {
    private JsonString() {}

    static String quote(String s) {
        try {
            String q = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
            return q.length() > 120 ? q.substring(0, 120) + "...\"" : q;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
