package dev.casa.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A session passes its caller's cancellation through to the generator (a server cancels for a client that left). */
class SessionCancelTest {
    static Path demo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) return p.resolve("models/demo/model");
        }
        throw new IllegalStateException("models/demo/model not found");
    }

    @Test
    void aListenerThatCancelsStopsTheAnswerAfterItsToken() {
        try (CasaModel model = CasaModel.load(demo())) {
            AtomicInteger seen = new AtomicInteger();
            TokenListener stopAfterTwo = new TokenListener() {
                @Override
                public void onToken(int id, String text) {
                    if (id >= 0) seen.incrementAndGet();
                }

                @Override
                public boolean cancelled() {
                    return seen.get() >= 2;
                }
            };
            Session s = model.newSession();
            GenerationResult r = s.ask("Tell me a long story.", GenerationOptions.greedy(50), stopAfterTwo);
            assertEquals(StopReason.CANCELLED, r.stopReason());
            assertEquals(2, r.tokens().length);
        }
    }
}
