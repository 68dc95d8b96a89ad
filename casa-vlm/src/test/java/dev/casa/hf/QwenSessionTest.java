package dev.casa.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Qwen2.5-VL folder used as a chat model, end to end from the image file: the prompt the session builds is
 * HF's processor output ({@code input_ids} of the fixture, made by Qwen2_5_VLProcessor), and its greedy answer
 * is the model's own continuation recorded by HF (the request's last ids).
 */
class QwenSessionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CASE = HfFixtureParityTest.root().resolve("qwen25vl_one_image");

    /** The fixture's prompt layout: Qwen's turn markers, image parts as vision_start, pad, vision_end; no system turn. */
    private static final String TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% for c in m['content'] %}"
            + "{% if c['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}"
            + "{% endfor %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    Path tmp;

    /** The fixture model plus a tokenizer.json with its ids (bytes 0-255, Qwen's special tokens from 256). */
    private Path chatModel(String template) throws IOException {
        Path dir = tmp.resolve("qwen");
        Files.createDirectories(dir);
        try (var files = Files.list(CASE.resolve("model"))) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!n.equals("tokenizer_config.json")) Files.copy(f, dir.resolve(n));
            }
        }
        Files.copy(HfFixtureParityTest.root().resolve("../casa-qwen/casa_qwen_two_windows/model/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                JSON.createObjectNode().put("eos_token", "<|im_end|>").put("chat_template", template).toString());
        return dir;
    }

    private static int[] hfIds() throws IOException {
        JsonNode ids = JSON.readTree(CASE.resolve("request.json").toFile()).get("input_ids");
        return IntStream.range(0, ids.size()).map(i -> ids.get(i).asInt()).toArray();
    }

    @Test
    void theSessionBuildsHfsPromptAndContinuesAsHfDid() throws IOException {
        int[] hf = hfIds();
        int prompt = JSON.readTree(CASE.resolve("request.json").toFile()).get("prefill_tokens").asInt();
        try (CasaModel model = CasaModel.load(chatModel(TEMPLATE))) {
            Session s = model.newSession();
            s.addImage(ImageDecoder.decode(CASE.resolve("grad_100x75.png")));
            GenerationResult r = s.ask("Describe this.", GenerationOptions.greedy(hf.length - prompt), TokenListener.NONE);
            assertArrayEquals(Arrays.copyOf(hf, prompt), Arrays.copyOf(s.tokens(), prompt), "the prompt ids of HF's processor");
            assertArrayEquals(Arrays.copyOfRange(hf, prompt, hf.length), r.tokens(), "HF's greedy continuation");
            assertEquals(1, s.lastTurn().images());
        }
    }

    /** With Qwen2.5-VL's published chat template the prompt is the same with its default system turn in front. */
    @Test
    void thePublishedChatTemplateAddsTheDefaultSystemTurn() throws IOException {
        Path real = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("shared/fixtures/real/qwen2.5-vl-3b-instruct/chat_template.jinja");
            if (Files.exists(f)) real = f;
            Path g = p.resolveSibling("shared/fixtures/real/qwen2.5-vl-3b-instruct/chat_template.jinja");
            if (real == null && Files.exists(g)) real = g;
            if (real != null) break;
        }
        assumeTrue(real != null, "Qwen2.5-VL-3B-Instruct's chat_template.jinja (../shared/fixtures/real) is not here: skipped");
        int[] hf = hfIds();
        int prompt = JSON.readTree(CASE.resolve("request.json").toFile()).get("prefill_tokens").asInt();
        try (CasaModel model = CasaModel.load(chatModel(Files.readString(real)))) {
            Session s = model.newSession();
            s.addImage(ImageDecoder.decode(CASE.resolve("grad_100x75.png")));
            s.ask("Describe this.", GenerationOptions.greedy(1), TokenListener.NONE);
            int[] system = model.tokenizer().encode("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n", false);
            int[] expected = new int[system.length + prompt];
            System.arraycopy(system, 0, expected, 0, system.length);
            System.arraycopy(hf, 0, expected, system.length, prompt);
            assertArrayEquals(expected, Arrays.copyOf(s.tokens(), expected.length));
            assertEquals(257, system[0]);
        }
    }
}
