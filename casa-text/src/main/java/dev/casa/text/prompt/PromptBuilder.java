package dev.casa.text.prompt;

import dev.casa.text.prompt.jinja.Template;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns a conversation into prompt tokens (model-format.md §6). With a chat template, each message's
 * content is given to the template as a string in which every image is the placeholder
 * {@value #IMAGE_PLACEHOLDER}; the rendered text is split at the placeholders, each piece is encoded
 * without added special tokens, and each image becomes {@code pre_image_tokens}, its insertion point,
 * then {@code post_image_tokens}. Without a template: BOS, then every message's parts in order.
 */
public final class PromptBuilder {
    public static final String IMAGE_PLACEHOLDER = "<image>";

    private final Template template;
    private final Function<String, int[]> encoder;
    private final String bosToken;
    private final String eosToken;
    private final int bosTokenId;
    private final int[] preImageTokens;
    private final int[] postImageTokens;

    /**
     * @param chatTemplate   the tokenizer's chat template, or null for the plain form
     * @param encoder        text to ids with no special tokens added (special-token text is still matched)
     * @param bosTokenId     BOS id for the plain form, or -1 for none
     */
    public PromptBuilder(String chatTemplate, Function<String, int[]> encoder, String bosToken, String eosToken,
                         int bosTokenId, int[] preImageTokens, int[] postImageTokens) {
        this.template = chatTemplate == null ? null : Template.parse(chatTemplate);
        this.encoder = encoder;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.bosTokenId = bosTokenId;
        this.preImageTokens = preImageTokens.clone();
        this.postImageTokens = postImageTokens.clone();
    }

    public boolean hasChatTemplate() { return template != null; }

    /** The prompt for {@code messages}, ending with the generation prompt (the assistant's turn opens). */
    public Prompt build(List<ChatMessage> messages) {
        int images = countImages(messages);
        if (template == null) return plain(messages, true);
        return encodeWithPlaceholders(render(messages, true), images);
    }

    /**
     * The chat template's text for {@code messages}, images as {@value #IMAGE_PLACEHOLDER}.
     * Only valid with a chat template.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (template == null) throw new IllegalStateException("no chat template");
        countImages(messages);
        List<Map<String, Object>> rendered = new ArrayList<>();
        for (ChatMessage m : messages) {
            StringBuilder content = new StringBuilder();
            for (ChatMessage.Part p : m.parts()) {
                content.append(p instanceof ChatMessage.Text t ? t.text() : IMAGE_PLACEHOLDER);
            }
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role());
            msg.put("content", content.toString());
            rendered.add(msg);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", rendered);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return template.render(vars);
    }

    /**
     * Encodes rendered text in which each {@value #IMAGE_PLACEHOLDER} stands for the next image:
     * pieces are encoded without added special tokens, images become pre tokens, insertion point,
     * post tokens. {@code expectedImages} guards against a template that drops or repeats images.
     */
    public Prompt encodeWithPlaceholders(String text, int expectedImages) {
        String[] pieces = text.split(java.util.regex.Pattern.quote(IMAGE_PLACEHOLDER), -1);
        if (pieces.length - 1 != expectedImages) {
            throw new IllegalStateException("the chat template rendered " + (pieces.length - 1)
                    + " image placeholders for " + expectedImages + " images");
        }
        TokenSink sink = new TokenSink();
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) sink.image();
            if (!pieces[i].isEmpty()) sink.add(encoder.apply(pieces[i]));
        }
        return sink.toPrompt();
    }

    /** The plain form (no template): optionally BOS, then every message's parts in order. */
    public Prompt plain(List<ChatMessage> messages, boolean withBos) {
        countImages(messages);
        TokenSink sink = new TokenSink();
        if (withBos && bosTokenId >= 0) sink.add(new int[] {bosTokenId});
        for (ChatMessage m : messages) {
            for (ChatMessage.Part p : m.parts()) {
                if (p instanceof ChatMessage.Text t) sink.add(encoder.apply(t.text()));
                else sink.image();
            }
        }
        return sink.toPrompt();
    }

    private static int countImages(List<ChatMessage> messages) {
        int images = 0;
        for (ChatMessage m : messages) {
            images += m.imageCount();
            for (ChatMessage.Part p : m.parts()) {
                if (p instanceof ChatMessage.Text t && t.text().contains(IMAGE_PLACEHOLDER)) {
                    throw new IllegalArgumentException("message text contains the image placeholder "
                            + IMAGE_PLACEHOLDER + "; attach images as image parts instead");
                }
            }
        }
        return images;
    }

    /** Accumulates ids and insertion points. */
    private final class TokenSink {
        private final List<Integer> ids = new ArrayList<>();
        private final List<Integer> points = new ArrayList<>();

        void add(int[] more) {
            for (int id : more) ids.add(id);
        }

        void image() {
            add(preImageTokens);
            points.add(ids.size());
            add(postImageTokens);
        }

        Prompt toPrompt() {
            return new Prompt(ids.stream().mapToInt(Integer::intValue).toArray(),
                    points.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}
