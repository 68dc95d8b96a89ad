package dev.casa.e2e;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.DecoderState;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Streaming through a {@link Session}: in CASA mode the caches hold the text plus one window's
 * images however many frames arrive; the insertion baseline's KV cache grows by N per frame.
 * Sizes are asserted, not timings.
 */
class SessionStreamingTest {
    private static final Path ROOT = FixturePaths.root();

    private static List<RgbImage> frames() throws IOException {
        return List.of(ImageDecoder.decode(ROOT.resolve("images/tiny_rgb_8x8.png")),
                ImageDecoder.decode(ROOT.resolve("images/noise_rgb_64x64.png")),
                ImageDecoder.decode(ROOT.resolve("images/shapes_p_33x33.png")));
    }

    @Test
    void casaMemoryStaysBoundedOverAThousandFrames() throws IOException {
        List<RgbImage> frames = frames();
        try (CasaModel model = CasaModel.load(withMaxPositions(ROOT.resolve("casa-f32-all"), 8192))) {
            int n = model.embedImage(frames.get(0)).tokens();
            Session session = model.newSession(8192);
            DecoderState state = session.state();
            long cacheFloatsAfterFirst = -1;
            GenerationOptions oneToken = GenerationOptions.greedy(1);
            for (int frame = 0; frame < 1000; frame++) {
                session.addImage(frames.get(frame % frames.size()));
                session.ask("a", oneToken, TokenListener.NONE);
                // Text only in the self-attention cache; exactly one frame's image keys in the window.
                assertEquals(state.textTokens(), state.selfAttentionKvEntries(), "frame " + frame);
                assertEquals(0, state.imageTokensInCache());
                assertEquals(1, state.imagesInCurrentWindow());
                assertEquals(n, state.windowImageKeys());
                assertTrue(state.windowTextKeys() <= 8, "window holds only this turn's text, got " + state.windowTextKeys());
                if (frame == 0) cacheFloatsAfterFirst = state.casaWindow().floats();
                assertEquals(cacheFloatsAfterFirst, state.casaWindow().floats(), "window buffers do not grow (frame " + frame + ")");
                // The self-attention cache is allocated as the text grows: never more than a growth step ahead.
                long kvFloats = state.cacheFloats() - state.casaWindow().floats();
                long perEntry = 2L * model.textConfig().numHiddenLayers() * model.textConfig().kvDim();
                assertTrue(kvFloats <= perEntry * (Math.max(state.textTokens() * 3L / 2, state.textTokens() + 256)),
                        "KV floats " + kvFloats + " for " + state.textTokens() + " text tokens");
            }
            assertTrue(state.textTokens() >= 2000, "each turn added its text: " + state.textTokens());
        }
    }

    @Test
    void insertionCacheGrowsByTheImageTokensOfEveryFrame() throws IOException {
        List<RgbImage> frames = frames();
        try (CasaModel model = CasaModel.load(withMaxPositions(ROOT.resolve("insert-f32-interleaved"), 4096))) {
            int n = model.embedImage(frames.get(0)).tokens();
            Session session = model.newSession(4096);
            DecoderState state = session.state();
            for (int frame = 1; frame <= 60; frame++) {
                session.addImage(frames.get(frame % frames.size()));
                session.ask("a", GenerationOptions.greedy(1), TokenListener.NONE);
                assertEquals(frame * n, state.imageTokensInCache(), "frame " + frame);
                assertEquals(state.textTokens() + frame * n, state.selfAttentionKvEntries());
            }
        }
    }

    @Test
    void imagesSeparatedByTheirMarkerTokensOpenTheirOwnWindows() throws IOException {
        // This model wraps each image in pre/post marker tokens: that text sits between two images of
        // one message, so the second image opens a new window (model-format.md §4.2). Consecutive images
        // with no text between them share a window: see the decoder tests and the multi_image fixture.
        List<RgbImage> frames = frames();
        try (CasaModel model = CasaModel.load(withMaxPositions(ROOT.resolve("casa-f32-all"), 8192))) {
            int n = model.embedImage(frames.get(0)).tokens();
            Session session = model.newSession(512);
            session.addImage(frames.get(0)).addImage(frames.get(1));
            session.ask("two images", GenerationOptions.greedy(2), TokenListener.NONE);
            assertEquals(1, session.state().imagesInCurrentWindow());
            assertEquals(n, session.state().windowImageKeys());
            int firstWindowStart = session.state().windowStart();
            session.addImage(frames.get(2));
            session.ask("one more", GenerationOptions.greedy(2), TokenListener.NONE);
            assertEquals(1, session.state().imagesInCurrentWindow());
            assertTrue(session.state().windowStart() > firstWindowStart);
        }
    }

    @Test
    void longPrefillsReportProgressAndGiveTheSameAnswer() throws IOException {
        List<RgbImage> frames = frames();
        try (CasaModel model = CasaModel.load(withMaxPositions(ROOT.resolve("casa-f32-all"), 8192))) {
            String longText = "the circle is red and the square is blue ".repeat(90);
            Session plain = model.newSession(4096);
            plain.addImage(frames.get(1));
            var expected = plain.ask(longText, GenerationOptions.greedy(6), TokenListener.NONE);
            assertTrue(plain.lastTurn().promptTokens() > 512, "prompt longer than one prefill chunk");

            List<int[]> updates = new java.util.ArrayList<>();
            Session chunked = model.newSession(4096).onPrefillProgress((done, total) -> updates.add(new int[] {done, total}));
            chunked.addImage(frames.get(1));
            var actual = chunked.ask(longText, GenerationOptions.greedy(6), TokenListener.NONE);
            assertArrayEquals(expected.tokens(), actual.tokens());
            assertTrue(updates.size() >= 2, "several progress updates");
            int[] last = updates.get(updates.size() - 1);
            assertEquals(last[1], last[0], "progress ends at the total");
        }
    }

    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    /** A copy of a fixture model whose config allows {@code positions} positions (the fixtures say 256). */
    private Path withMaxPositions(Path fixture, int positions) throws IOException {
        Path dir = tmp.resolve(fixture.getFileName() + "-" + positions);
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(fixture)) {
            for (Path f : files.toList()) {
                if (java.nio.file.Files.isRegularFile(f)) java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        Path config = dir.resolve("config.json");
        String json = java.nio.file.Files.readString(config).replace("\"max_position_embeddings\": 256", "\"max_position_embeddings\": " + positions);
        java.nio.file.Files.writeString(config, json);
        return dir;
    }
}
