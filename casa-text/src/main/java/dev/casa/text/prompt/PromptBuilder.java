package dev.casa.text.prompt;

import dev.casa.text.prompt.jinja.Template;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns a conversation into prompt tokens, as HF processors do: the chat template renders the messages,
 * the rendered text is split at each image's marker, the pieces are encoded without added special tokens,
 * and each image becomes the {@link ImageTokens} its model lays out. Without a template: BOS, then every
 * message's parts in order.
 *
 * <p>Templates see message content in one of two shapes ({@link ContentStyle}): HF's list of parts
 * ({@code {"type": "image"}}, {@code {"type": "text", "text": ...}}), which Qwen2-VL's and SmolVLM's
 * templates iterate, or one string in which every image is {@value #IMAGE_PLACEHOLDER} (our format's
 * templates). The marker that the template renders for an image (e.g. Qwen's {@code <|image_pad|>},
 * SmolVLM's {@code <image>}) is where each image's tokens go.
 */
public final class PromptBuilder {
    public static final String IMAGE_PLACEHOLDER = "<image>";

    public enum ContentStyle { TEXT_WITH_PLACEHOLDER, PARTS }

    private final Template template;
    private final Function<String, int[]> encoder;
    private final String bosToken;
    private final String eosToken;
    private final int bosTokenId;
    private final ContentStyle style;
    private final String imageMarker;

    /**
     * @param chatTemplate the model's chat template, or null for the plain form
     * @param encoder      text to ids with no special tokens added (special-token text is still matched)
     * @param bosTokenId   BOS id for the plain form, or −1 for none
     * @param imageMarker  the text the template renders for an image
     */
    public PromptBuilder(String chatTemplate, Function<String, int[]> encoder, String bosToken, String eosToken,
                         int bosTokenId, ContentStyle style, String imageMarker) {
        this.template = chatTemplate == null ? null : Template.parse(chatTemplate);
        this.encoder = encoder;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.bosTokenId = bosTokenId;
        this.style = style;
        this.imageMarker = imageMarker;
    }

    public boolean hasChatTemplate() { return template != null; }

    /** The prompt for {@code messages}, ending with the generation prompt (the assistant's turn opens). */
    public Prompt build(List<ChatMessage> messages, List<ImageTokens> images) {
        if (template == null) return plain(messages, true, images);
        return encode(render(messages, true), images);
    }

    /** The chat template's text for {@code messages}. Only valid with a chat template. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (template == null) throw new IllegalStateException("no chat template");
        checkText(messages);
        List<Map<String, Object>> rendered = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role());
            msg.put("content", style == ContentStyle.PARTS ? parts(m) : text(m));
            rendered.add(msg);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", rendered);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        vars.put("add_generation_prompt", addGenerationPrompt);
        return template.render(vars);
    }

    private static String text(ChatMessage m) {
        StringBuilder content = new StringBuilder();
        for (ChatMessage.Part p : m.parts()) content.append(p instanceof ChatMessage.Text t ? t.text() : IMAGE_PLACEHOLDER);
        return content.toString();
    }

    private static List<Map<String, Object>> parts(ChatMessage m) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ChatMessage.Part p : m.parts()) {
            Map<String, Object> part = new LinkedHashMap<>();
            if (p instanceof ChatMessage.Text t) {
                part.put("type", "text");
                part.put("text", t.text());
            } else {
                part.put("type", "image");
            }
            out.add(part);
        }
        return out;
    }

    /**
     * Encodes rendered text in which each image marker stands for the next image's tokens. The number of
     * markers must equal {@code images.size()}: a template that drops or repeats images is an error.
     */
    public Prompt encode(String text, List<ImageTokens> images) {
        String[] pieces = text.split(Pattern.quote(imageMarker), -1);
        if (pieces.length - 1 != images.size()) {
            throw new IllegalStateException("the chat template rendered " + (pieces.length - 1) + " image markers "
                    + imageMarker + " for " + images.size() + " images");
        }
        TokenSink sink = new TokenSink();
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) sink.image(images.get(i - 1));
            if (!pieces[i].isEmpty()) sink.add(encoder.apply(pieces[i]));
        }
        return sink.toPrompt();
    }

    /** The plain form (no template): optionally BOS, then every message's parts in order. */
    public Prompt plain(List<ChatMessage> messages, boolean withBos, List<ImageTokens> images) {
        checkText(messages);
        int count = 0;
        for (ChatMessage m : messages) count += m.imageCount();
        if (count != images.size()) throw new IllegalArgumentException(count + " image parts for " + images.size() + " images");
        TokenSink sink = new TokenSink();
        if (withBos && bosTokenId >= 0) sink.add(new int[] {bosTokenId});
        int next = 0;
        for (ChatMessage m : messages) {
            for (ChatMessage.Part p : m.parts()) {
                if (p instanceof ChatMessage.Text t) sink.add(encoder.apply(t.text()));
                else sink.image(images.get(next++));
            }
        }
        return sink.toPrompt();
    }

    /** Message text may not contain the image marker: images are image parts. */
    private void checkText(List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            for (ChatMessage.Part p : m.parts()) {
                if (p instanceof ChatMessage.Text t && (t.text().contains(imageMarker)
                        || (style == ContentStyle.TEXT_WITH_PLACEHOLDER && t.text().contains(IMAGE_PLACEHOLDER)))) {
                    throw new IllegalArgumentException("message text contains the image marker "
                            + imageMarker + "; attach images as image parts instead");
                }
            }
        }
    }

    /** Accumulates ids and image positions. */
    private static final class TokenSink {
        private final List<Integer> ids = new ArrayList<>();
        private final List<Integer> starts = new ArrayList<>();
        private final List<Integer> points = new ArrayList<>();

        void add(int[] more) {
            for (int id : more) ids.add(id);
        }

        void image(ImageTokens image) {
            int start = ids.size();
            starts.add(start);
            points.add(image.insertAt() < 0 ? -1 : start + image.insertAt());
            add(image.tokens());
        }

        Prompt toPrompt() {
            return new Prompt(ids.stream().mapToInt(Integer::intValue).toArray(),
                    starts.stream().mapToInt(Integer::intValue).toArray(),
                    points.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}
