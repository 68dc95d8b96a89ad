package dev.casa.family.smolvlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.family.ModelDirectory;
import dev.casa.image.EncodedImage;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.ImageTokens;
import dev.casa.text.prompt.Prompt;
import dev.casa.vision.processor.ImageLayout;
import dev.casa.vision.siglip.SiglipVisionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real published files of HuggingFaceTB/SmolVLM-256M-Instruct (without weights; third-party, read from
 * {@code ../shared/fixtures/real/smolvlm-256m-instruct}, skipped when absent): everything loads, and a 1-image and
 * a 2-image conversation become exactly HF's prompt text and HF {@code tokenizers}' ids.
 *
 * <p>Expected texts, by hand: the chat template renders {@code <|im_start|>}, then per message the capitalized
 * role, {@code ":"} when the first part is an image else {@code ": "}, the parts ({@code <image>} for an image),
 * {@code <end_of_utterance>\n}; then {@code Assistant:}. HF's Idefics3Processor then replaces each
 * {@code <image>} by {@code _prompt_split_image(64, rows, cols, ...)} (image_seq_len 64 from processor_config.json):
 * a 1920×1080 image becomes 2048×1152 (longest edge 2048, short side int(2048/aspect) made even), then
 * 2048×1536 (multiples of 512): 3 rows × 4 columns; a 300×800 image becomes 768×2048, then 1024×2048: 4 × 2.
 * Expected ids: resources/smolvlm/real-prompts.expected.json, made by models/tokenizers/make_smolvlm_prompts.js
 * with HF tokenizers (npm {@code @anush008/tokenizers}) from the same texts.
 */
class SmolVLMRealFilesTest {
    static final String I64 = "<image>".repeat(64);
    static final String F = "<fake_token_around_image>";
    /** The expansion of a 1920×1080 image: 3 rows of 4 tiles, then the global image. */
    static final String WIDE = F + "<row_1_col_1>" + I64 + F + "<row_1_col_2>" + I64 + F + "<row_1_col_3>" + I64 + F + "<row_1_col_4>" + I64 + "\n"
            + F + "<row_2_col_1>" + I64 + F + "<row_2_col_2>" + I64 + F + "<row_2_col_3>" + I64 + F + "<row_2_col_4>" + I64 + "\n"
            + F + "<row_3_col_1>" + I64 + F + "<row_3_col_2>" + I64 + F + "<row_3_col_3>" + I64 + F + "<row_3_col_4>" + I64 + "\n"
            + "\n" + F + "<global-img>" + I64 + F;
    /** The expansion of a 300×800 image: 4 rows of 2 tiles, then the global image. */
    static final String TALL = F + "<row_1_col_1>" + I64 + F + "<row_1_col_2>" + I64 + "\n"
            + F + "<row_2_col_1>" + I64 + F + "<row_2_col_2>" + I64 + "\n"
            + F + "<row_3_col_1>" + I64 + F + "<row_3_col_2>" + I64 + "\n"
            + F + "<row_4_col_1>" + I64 + F + "<row_4_col_2>" + I64 + "\n"
            + "\n" + F + "<global-img>" + I64 + F;

    static Path real;
    static JsonNode oracle;

    @BeforeAll
    static void find() throws IOException {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared/fixtures/real/smolvlm-256m-instruct");
            if (Files.isDirectory(p)) real = p;
            Path beside = d.resolveSibling("shared").resolve("fixtures/real/smolvlm-256m-instruct");
            if (real == null && Files.isDirectory(beside)) real = beside;
            if (real != null) break;
        }
        Assumptions.assumeTrue(real != null, "skipped: ../shared/fixtures/real/smolvlm-256m-instruct (third-party files) is absent");
        try (InputStream in = SmolVLMRealFilesTest.class.getResourceAsStream("/smolvlm/real-prompts.expected.json")) {
            oracle = new ObjectMapper().readTree(in);
        }
    }

    private static SmolVLMFiles files;

    static synchronized SmolVLMFiles files() {
        if (files == null) files = SmolVLMFiles.read(ModelDirectory.open(real, ThreadPool.shared()));
        return files;
    }

    @Test
    void everyFileLoads() throws IOException {
        SmolVLMFiles f = files();
        assertEquals("idefics3", f.modelType());
        assertEquals(49190, f.top().imageTokenId());
        assertEquals(4, f.top().scaleFactor());
        var t = f.text();
        assertEquals("llama", t.modelType());
        assertEquals(List.of(576, 1536, 30, 9, 3, 64, 49280, 8192), List.of(t.hiddenSize(), t.intermediateSize(),
                t.numHiddenLayers(), t.numAttentionHeads(), t.numKeyValueHeads(), t.headDim(), t.vocabSize(), t.maxPositionEmbeddings()));
        assertEquals(100000.0, t.ropeTheta());   // written as the integer 100000
        assertEquals(1e-5, t.rmsNormEps());
        assertFalse(t.tieWordEmbeddings());
        assertNull(t.ropeScaling());
        SiglipVisionConfig v = f.vision();
        assertEquals(SiglipVisionConfig.Variant.IDEFICS3, v.variant());   // though its vision_config says "idefics3"
        assertEquals(List.of(768, 3072, 12, 12, 512, 16, 1024), List.of(v.hiddenSize(), v.intermediateSize(),
                v.numHiddenLayers(), v.numAttentionHeads(), v.imageSize(), v.patchSize(), v.numPatches()));
        assertEquals("gelu_pytorch_tanh", v.hiddenAct());
        var p = f.processor().config();
        assertEquals(2048, p.longestEdge());
        assertEquals(512, p.maxImageSize());
        assertTrue(p.doImageSplitting());
        assertEquals("LANCZOS", p.resample().name());
        assertEquals(64, f.imageSeqLen());
        assertEquals(new ImageLayout.Tiles(3, 4, 512), f.processor().layout(1920, 1080));
        assertEquals(new ImageLayout.Tiles(4, 2, 512), f.processor().layout(300, 800));
        assertArrayEquals(new int[] {49279}, f.stopTokens());   // <end_of_utterance>, generation_config.json
        assertEquals("<end_of_utterance>", f.tokenizer().token(49279));
        assertEquals(49280, f.tokenizer().vocabSize());
        assertTrue(f.tokenizerConfig().chatTemplate().startsWith("<|im_start|>{% for message in messages %}"));
        // The BPE merges are stored as pairs (["a", "b"]), not "a b" strings: 48,900 of them.
        JsonNode merges = new ObjectMapper().readTree(real.resolve("tokenizer.json").toFile()).path("model").path("merges");
        assertEquals(48900, merges.size());
        assertTrue(merges.get(0).isArray() && merges.get(0).size() == 2);
    }

    @Test
    void oneImageConversation() {
        SmolVLMFiles f = files();
        List<ChatMessage> messages = List.of(ChatMessage.userWithImages(1, "Can you describe this image?"));
        assertEquals("<|im_start|>User:<image>Can you describe this image?<end_of_utterance>\nAssistant:",
                f.prompts().render(messages, true));
        String expected = "<|im_start|>User:" + WIDE + "Can you describe this image?<end_of_utterance>\nAssistant:";
        check(f, "one_image", expected, messages, List.of(image(f, 3, 4)));
    }

    @Test
    void twoImageConversation() {
        SmolVLMFiles f = files();
        List<ChatMessage> messages = List.of(
                ChatMessage.userWithImages(1, "What is in this picture?"),
                ChatMessage.assistant("A red bicycle leaning on a wall."),
                new ChatMessage("user", List.of(new ChatMessage.Text("And in this one?"), new ChatMessage.Image())));
        assertEquals("<|im_start|>User:<image>What is in this picture?<end_of_utterance>\n"
                + "Assistant: A red bicycle leaning on a wall.<end_of_utterance>\n"
                + "User: And in this one?<image><end_of_utterance>\nAssistant:", f.prompts().render(messages, true));
        String expected = "<|im_start|>User:" + WIDE + "What is in this picture?<end_of_utterance>\n"
                + "Assistant: A red bicycle leaning on a wall.<end_of_utterance>\n"
                + "User: And in this one?" + TALL + "<end_of_utterance>\nAssistant:";
        check(f, "two_images", expected, messages, List.of(image(f, 3, 4), image(f, 4, 2)));
    }

    /** Our layout's text equals the hand-written one; our ids equal HF tokenizers' ids for that same text. */
    private static void check(SmolVLMFiles f, String name, String expected, List<ChatMessage> messages, List<EncodedImage> images) {
        JsonNode c = null;
        for (JsonNode n : oracle.get("cases")) if (n.get("name").asText().equals(name)) c = n;
        assertEquals(expected, c.get("text").asText(), "the oracle was made from the same text");
        String rendered = f.prompts().render(messages, true);
        StringBuilder expanded = new StringBuilder();
        String[] pieces = rendered.split("<image>", -1);
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) expanded.append(SmolVLMPromptLayout.text(images.get(i - 1).tileRows(), images.get(i - 1).tileCols(), 64));
            expanded.append(pieces[i]);
        }
        assertEquals(expected, expanded.toString(), "HF processor text");
        List<ImageTokens> layouts = images.stream().map(f.layout()::tokensFor).toList();
        Prompt prompt = f.prompts().build(messages, layouts);
        int[] want = new int[c.get("ids").size()];
        for (int i = 0; i < want.length; i++) want[i] = c.get("ids").get(i).asInt();
        assertArrayEquals(want, prompt.tokens(), name + ": ids as HF tokenizers");
        int placeholders = 0;
        for (int id : prompt.tokens()) if (id == 49190) placeholders++;
        int tiles = images.stream().mapToInt(e -> e.tileRows() * e.tileCols() + 1).sum();
        assertEquals(tiles * 64, placeholders, "one <image> per embedding");
    }

    private static EncodedImage image(SmolVLMFiles f, int rows, int cols) {
        int tokens = (rows * cols + 1) * f.imageSeqLen(), width = f.text().hiddenSize();
        return new EncodedImage(new float[tokens * width], tokens, width, 0, 0, rows, cols);
    }
}
