package dev.casa.e2e;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.prompt.ChatMessage;
import dev.casa.text.prompt.Prompt;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled demo model on held-out images it never saw in training (models/demo/heldout, made by the
 * same generator with another seed). Oracles: the generator's ground-truth answers, and the PyTorch
 * reference's prompt ids (Jinja2 + HF tokenizers) and greedy answers on the exported model.
 */
class DemoModelTest {
    private static Path demo;
    private static JsonNode heldout;
    private static CasaModel model;

    @BeforeAll
    static void load() throws IOException {
        demo = FixturePaths.root().getParent().resolve("demo");
        heldout = new ObjectMapper().readTree(Files.readString(demo.resolve("heldout/heldout.json")));
        model = CasaModel.load(demo.resolve("model"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static GenerationOptions options(JsonNode item) {
        return GenerationOptions.greedy(item.path("max_new_tokens").asInt(12)).withStopTokens(model.eosTokenIds());
    }

    /** The ids of an answer as the reference records them: generated tokens then the stop token. */
    private static int[] withStop(GenerationResult r) {
        int[] t = r.tokens();
        if (r.stopToken() < 0) return t;
        int[] out = Arrays.copyOf(t, t.length + 1);
        out[t.length] = r.stopToken();
        return out;
    }

    @Test
    void answersHeldOutQuestionsLikeTheReferenceAndMostlyRight() throws IOException {
        int correct = 0, total = 0;
        List<String> wrong = new ArrayList<>();
        for (JsonNode item : heldout.get("items")) {
            String question = item.get("question").asText();
            Prompt prompt = model.prompts().build(List.of(ChatMessage.userWithImages(1, question)), imageTokens(1));
            assertArrayEquals(ints(item.get("prompt_ids")), prompt.tokens(), item.get("id") + ": prompt ids");
            assertArrayEquals(ints(item.get("insertion_points")), prompt.imageInsertPoints(), item.get("id") + ": insertion point");

            Session session = model.newSession();
            session.addImage(ImageDecoder.decode(demo.resolve("heldout").resolve(item.get("image").asText())));
            GenerationResult r = session.ask(question, options(item), TokenListener.NONE);
            assertArrayEquals(ints(item.get("greedy_ids")), withStop(r), item.get("id") + ": greedy ids as PyTorch");
            assertEquals(item.get("answer").asText(), r.text().strip(), item.get("id") + ": answer text as PyTorch");
            total++;
            if (r.text().strip().equals(item.get("expected").asText())) correct++;
            else wrong.add(item.get("id").asText() + ": " + r.text().strip() + " (expected " + item.get("expected").asText() + ")");
        }
        assertTrue(total >= 40, "held-out set size " + total);
        double accuracy = correct / (double) total;
        assertTrue(accuracy >= 0.95, "exact-answer accuracy " + accuracy + "; wrong: " + wrong);
    }

    @Test
    void aFrameSequenceInOneSessionAnswersAboutTheLatestFrame() throws IOException {
        JsonNode seq = heldout.get("sequence");
        Session session = model.newSession();
        List<ChatMessage> conversation = new ArrayList<>();
        int correct = 0;
        for (JsonNode turn : seq.get("turns")) {
            String question = turn.get("question").asText();
            session.addImage(ImageDecoder.decode(demo.resolve("heldout").resolve(turn.get("image").asText())));
            conversation.add(ChatMessage.userWithImages(1, question));
            // The whole conversation rendered at once gives the reference's ids ...
            Prompt full = model.prompts().build(conversation, imageTokens((int) conversation.stream().filter(m -> m.imageCount() > 0).count()));
            assertArrayEquals(ints(turn.get("prompt_ids")), full.tokens(), question + ": full prompt");
            assertArrayEquals(ints(turn.get("insertion_points")), full.imageInsertPoints(), question + ": insertion points");
            GenerationResult r = session.ask(question, options(turn), TokenListener.NONE);
            // ... and the session, which fed only each turn's new text, holds exactly those ids.
            int[] fed = session.tokens();
            int[] promptPart = Arrays.copyOf(fed, fed.length - withStop(r).length);
            assertArrayEquals(ints(turn.get("prompt_ids")), promptPart, question + ": ids the session fed");
            assertArrayEquals(ints(turn.get("greedy_ids")), withStop(r), question + ": greedy ids as PyTorch");
            conversation.add(ChatMessage.assistant(r.text().strip()));
            if (r.text().strip().equals(turn.get("expected").asText())) correct++;
            // CASA: only the latest frame is in the window; earlier frames left no image keys.
            assertEquals(1, session.state().imagesInCurrentWindow());
            assertEquals(TOKENS_PER_IMAGE, session.state().windowImageKeys());
        }
        assertEquals(seq.get("turns").size(), correct, "every answer about the latest frame is right");
    }

    /** The demo's SigLIP tower: 48 px images in 16 px patches. */
    private static final int TOKENS_PER_IMAGE = 9;

    /** Our format lays every image out the same way: pre tokens, insertion point, post tokens. */
    private List<dev.casa.text.prompt.ImageTokens> imageTokens(int images) {
        dev.casa.image.EncodedImage any = new dev.casa.image.EncodedImage(new float[TOKENS_PER_IMAGE * model.textConfig().hiddenSize()],
                TOKENS_PER_IMAGE, model.textConfig().hiddenSize(), 3, 3);
        return java.util.Collections.nCopies(images, model.imageTokens(any));
    }
}
