package dev.casa.text.prompt;

import java.util.ArrayList;
import java.util.List;

/** One turn of a conversation: a role ("system", "user", "assistant") and its text and image parts. */
public record ChatMessage(String role, List<Part> parts) {

    /** A piece of a message: text, or an image (the image itself travels separately, in order). */
    public sealed interface Part {}

    public record Text(String text) implements Part {}

    public record Image() implements Part {}

    public ChatMessage {
        parts = List.copyOf(parts);
    }

    public static ChatMessage user(String text) { return new ChatMessage("user", List.of(new Text(text))); }

    /** A user turn with {@code images} images first, then the text (the usual VLM layout). */
    public static ChatMessage userWithImages(int images, String text) {
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < images; i++) parts.add(new Image());
        if (text != null && !text.isEmpty()) parts.add(new Text(text));
        return new ChatMessage("user", parts);
    }

    public static ChatMessage assistant(String text) { return new ChatMessage("assistant", List.of(new Text(text))); }

    public static ChatMessage system(String text) { return new ChatMessage("system", List.of(new Text(text))); }

    public int imageCount() {
        int n = 0;
        for (Part p : parts) if (p instanceof Image) n++;
        return n;
    }
}
