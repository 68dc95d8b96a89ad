package dev.casa.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link Session#reset()}: the session is as new (oracle: a fresh session), its buffers are kept. */
class SessionResetTest {
    @Test
    void aResetSessionAnswersLikeAFreshOneInTheSameBuffers() throws Exception {
        Path demo = FixturePaths.root().getParent().resolve("demo");
        try (CasaModel model = CasaModel.load(demo.resolve("model"))) {
            RgbImage image = ImageDecoder.decode(demo.resolve("example.png"));
            GenerationOptions options = model.defaultGenerationOptions();
            Session fresh = model.newSession(256);
            fresh.addImage(image);
            GenerationResult expected = fresh.ask("Describe the image.", options, TokenListener.NONE);
            assertEquals("a purple circle, an orange square and a green triangle on a grey background", expected.text().strip());

            Session s = model.newSession(256);
            for (int turn = 0; turn < 3; turn++) {
                s.addImage(image);
                s.ask("How many squares are there?", options, TokenListener.NONE);
            }
            s.addImage(image);   // queued, then forgotten by the reset
            long bytes = s.state().cacheBytes();
            s.reset();
            assertEquals(bytes, s.state().cacheBytes(), "the buffers are kept");
            assertEquals(0, s.state().selfAttentionKvEntries());
            assertEquals(0, s.tokens().length);
            assertTrue(s.messages().isEmpty());
            s.addImage(image);
            GenerationResult again = s.ask("Describe the image.", options, TokenListener.NONE);
            assertArrayEquals(expected.tokens(), again.tokens());
            assertArrayEquals(fresh.tokens(), s.tokens(), "the same ids fed as in a fresh session");
            assertEquals(fresh.lastTurn().promptTokens(), s.lastTurn().promptTokens());
            assertEquals(9, s.lastTurn().imageTokens());
            assertEquals(1, s.lastTurn().images());
        }
    }
}
