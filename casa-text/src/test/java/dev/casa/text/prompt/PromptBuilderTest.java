package dev.casa.text.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * PromptBuilder with an encoder that maps each character to its code point, so every expected id sequence can be
 * written by hand from the rendered text: splitting at image markers, each image's tokens and insertion point, the
 * two content shapes, the plain form, and the errors.
 */
class PromptBuilderTest {
    private static final Function<String, int[]> CODEPOINTS = s -> s.codePoints().toArray();

    private static int[] ids(String s) { return s.codePoints().toArray(); }

    private static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void partsTemplatesGetHfContentAndEachMarkerBecomesTheImagesTokens() {
        String template = "{% for m in messages %}[{{ m['role'] }}]{% for c in m['content'] %}"
                + "{% if c['type'] == 'image' %}<V><pad><E>{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endfor %}"
                + "{% if add_generation_prompt %}[assistant]{% endif %}";
        PromptBuilder b = new PromptBuilder(template, CODEPOINTS, null, null, -1, PromptBuilder.ContentStyle.PARTS, "<pad>");
        List<ChatMessage> messages = List.of(ChatMessage.userWithImages(2, "hi"));
        assertEquals("[user]<V><pad><E><V><pad><E>hi[assistant]", b.render(messages, true));
        // Qwen-style placeholders: the marker is replaced by N pad ids; no insertion point.
        Prompt p = b.build(messages, List.of(ImageTokens.placeholders(new int[] {900, 900, 900}), ImageTokens.placeholders(new int[] {900})));
        assertArrayEquals(concat(ids("[user]<V>"), new int[] {900, 900, 900}, ids("<E><V>"), new int[] {900}, ids("<E>hi[assistant]")), p.tokens());
        assertArrayEquals(new int[] {9, 18}, p.imageStarts());
        assertArrayEquals(new int[] {-1, -1}, p.imageInsertPoints());
        // CASA-style: the marker becomes an insertion point (no tokens), between the delimiters.
        Prompt q = b.build(messages, List.of(ImageTokens.atPoint(new int[0], new int[0]), ImageTokens.atPoint(new int[0], new int[0])));
        assertArrayEquals(ids("[user]<V><E><V><E>hi[assistant]"), q.tokens());
        assertArrayEquals(new int[] {9, 15}, q.imageInsertPoints());
    }

    @Test
    void textTemplatesGetAStringWithOneImagePlaceholderPerImage() {
        String template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}";
        PromptBuilder b = new PromptBuilder(template, CODEPOINTS, null, null, -1, PromptBuilder.ContentStyle.TEXT_WITH_PLACEHOLDER,
                PromptBuilder.IMAGE_PLACEHOLDER);
        List<ChatMessage> messages = List.of(ChatMessage.userWithImages(1, "what?"));
        assertEquals("user: <image>what?\n", b.render(messages, false));
        Prompt p = b.build(messages, List.of(ImageTokens.atPoint(new int[] {7}, new int[] {8})));
        assertArrayEquals(concat(ids("user: "), new int[] {7, 8}, ids("what?\n")), p.tokens());
        assertArrayEquals(new int[] {7}, p.imageInsertPoints(), "after the pre token");
    }

    @Test
    void withoutATemplateBosThenEveryPartInOrder() {
        PromptBuilder b = new PromptBuilder(null, CODEPOINTS, null, null, 1, PromptBuilder.ContentStyle.TEXT_WITH_PLACEHOLDER,
                PromptBuilder.IMAGE_PLACEHOLDER);
        Prompt p = b.build(List.of(ChatMessage.userWithImages(1, "ab")), List.of(ImageTokens.atPoint(new int[] {5}, new int[] {6})));
        assertArrayEquals(new int[] {1, 5, 6, 'a', 'b'}, p.tokens());
        assertArrayEquals(new int[] {2}, p.imageInsertPoints());
    }

    @Test
    void templatesThatDropImagesAndTextWithTheMarkerAreErrors() {
        PromptBuilder dropper = new PromptBuilder("{% for m in messages %}{{ m['role'] }}{% endfor %}", CODEPOINTS, null, null, -1,
                PromptBuilder.ContentStyle.PARTS, "<pad>");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> dropper.build(List.of(ChatMessage.userWithImages(1, "x")), List.of(ImageTokens.placeholders(new int[] {9}))));
        assertTrue(e.getMessage().contains("rendered 0 image markers <pad> for 1 images"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> dropper.render(List.of(ChatMessage.user("sneaky <pad>")), true));
        assertTrue(f.getMessage().contains("contains the image marker"), f.getMessage());
    }
}
