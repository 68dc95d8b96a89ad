package dev.casa.reliability;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, findings 6 and 7, on the bundled demo model: a turn that fails leaves the session as it was (its
 * history then matches an uninterrupted session's, id for id), generation that fills the cache leaves a history
 * that matches the caches, sessions are bounded by max_position_embeddings, and caches grow with use.
 */
class SessionAfterErrorTest {
    private static Path demo;
    private static CasaModel model;
    private static RgbImage image;
    private static RgbImage heldout;

    @BeforeAll
    static void load() throws IOException {
        for (Path p = Path.of("").toAbsolutePath(); p != null && demo == null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/demo/model"))) demo = p.resolve("models/demo");
        }
        model = CasaModel.load(demo.resolve("model"));
        image = ImageDecoder.decode(demo.resolve("example.png"));
        try (var files = Files.list(demo.resolve("heldout"))) {
            heldout = ImageDecoder.decode(files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst().orElseThrow());
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationOptions greedy() {
        return model.defaultGenerationOptions();
    }

    /** The caches hold exactly the text the session says it fed (the demo's images go to CASA windows, not the cache). */
    private static void assertHistoryMatchesCaches(Session s) {
        assertEquals(s.state().textTokens(), s.tokens().length, "tokens() lists exactly the ids in the caches");
        assertEquals(s.state().textTokens(), s.state().selfAttentionKvEntries());
    }

    @Test
    void aMessageThatOverflowsLeavesTheSessionAsIfItWasNeverSent() {
        String tooLong = "where is the purple circle? ".repeat(200);
        Session interrupted = model.newSession();
        interrupted.addImage(image);
        String first = interrupted.ask("What colour is the circle?", greedy(), TokenListener.NONE).text();
        int[] tokens = interrupted.tokens();
        var messages = interrupted.messages();
        int entries = interrupted.state().selfAttentionKvEntries(), next = interrupted.state().nextPosition();
        // An image queued before the failed turn stays queued for the next one.
        interrupted.addImage(heldout);
        CacheOverflowException e = assertThrows(CacheOverflowException.class,
                () -> interrupted.ask(tooLong, greedy(), TokenListener.NONE));
        assertTrue(e.getMessage().contains("capacity 1024"), e.getMessage());
        assertArrayEquals(tokens, interrupted.tokens());
        assertEquals(messages, interrupted.messages());
        assertEquals(entries, interrupted.state().selfAttentionKvEntries());
        assertEquals(next, interrupted.state().nextPosition());
        assertEquals(1, interrupted.state().imagesInCurrentWindow(), "the failed turn opened no window");
        GenerationResult second = interrupted.ask("What shapes are there?", greedy(), TokenListener.NONE);
        GenerationResult third = interrupted.ask("What colour is the square?", greedy(), TokenListener.NONE);

        // The oracle: the same conversation without the long message.
        Session uninterrupted = model.newSession();
        uninterrupted.addImage(image);
        assertEquals(first, uninterrupted.ask("What colour is the circle?", greedy(), TokenListener.NONE).text());
        uninterrupted.addImage(heldout);
        assertArrayEquals(uninterrupted.ask("What shapes are there?", greedy(), TokenListener.NONE).tokens(), second.tokens());
        assertArrayEquals(uninterrupted.ask("What colour is the square?", greedy(), TokenListener.NONE).tokens(), third.tokens());
        assertArrayEquals(uninterrupted.tokens(), interrupted.tokens());
        assertEquals(uninterrupted.messages(), interrupted.messages());
        assertHistoryMatchesCaches(interrupted);
    }

    @Test
    void generationThatFillsTheCacheLeavesAHistoryThatMatchesTheCaches() {
        Session probe = model.newSession();
        probe.addImage(image);
        GenerationResult full = probe.ask("Describe the image.", greedy(), TokenListener.NONE);
        int prompt = probe.lastTurn().promptTokens();
        assertTrue(full.tokens().length > 6, "the demo's description is long enough to cut: " + full.text());

        // Room for the prompt and three answer tokens: the fourth is generated (from the logits of the third) but
        // cannot enter the cache.
        Session s = model.newSession(prompt + 3);
        s.addImage(image);
        GenerationResult cut = s.ask("Describe the image.", greedy(), TokenListener.NONE);
        assertEquals(StopReason.CACHE_FULL, cut.stopReason());
        assertArrayEquals(java.util.Arrays.copyOf(full.tokens(), 4), cut.tokens(), "the answer so far, as without the limit");
        assertHistoryMatchesCaches(s);
        int[] tokens = s.tokens();
        var messages = s.messages();
        assertEquals(List.of("user", "assistant"), messages.stream().map(m -> m.role()).toList());
        // The next turn cannot fit; it fails and changes nothing.
        assertThrows(CacheOverflowException.class, () -> s.ask("And the square?", greedy(), TokenListener.NONE));
        assertArrayEquals(tokens, s.tokens());
        assertEquals(messages, s.messages());
    }

    @Test
    void aHugeTokenLimitIsBoundedByTheContextLeft() {
        // max-new-tokens 2147483647 used to overflow an array size (history + limit). Without stop tokens the
        // generation runs until the cache is full.
        Session s = model.newSession(64);
        s.addImage(image);
        GenerationResult r = s.ask("Describe the image.", GenerationOptions.greedy(Integer.MAX_VALUE), TokenListener.NONE);
        assertEquals(StopReason.CACHE_FULL, r.stopReason());
        assertEquals(64 - s.lastTurn().promptTokens() + 1, r.tokens().length, "every position left, plus the last unfed token");
        assertHistoryMatchesCaches(s);
        // With the model's stop token it ends as usual.
        Session t = model.newSession();
        t.addImage(image);
        GenerationResult answer = t.ask("Describe the image.", greedy().withMaxNewTokens(Integer.MAX_VALUE), TokenListener.NONE);
        assertEquals(StopReason.STOP_TOKEN, answer.stopReason());
        assertEquals("a purple circle, an orange square and a green triangle on a grey background", answer.text().strip());
    }

    @Test
    void aFailureDuringTheAnswerKeepsWhatWasFed() {
        // A listener that fails (a client gone, a weight file changed) on the answer's second token: the first token
        // was fed, the second was not. The session keeps the answer so far and goes on like one whose answer stopped
        // after one token.
        Session failed = model.newSession();
        failed.addImage(image);
        int[] seen = {0};
        RuntimeException boom = new RuntimeException("client went away");
        assertSame(boom, assertThrows(RuntimeException.class, () -> failed.ask("Describe the image.", greedy(), (id, piece) -> {
            if (++seen[0] == 2) throw boom;
        })));
        assertHistoryMatchesCaches(failed);

        Session oracle = model.newSession();
        oracle.addImage(image);
        oracle.ask("Describe the image.", greedy().withMaxNewTokens(1), TokenListener.NONE);
        assertArrayEquals(oracle.tokens(), failed.tokens());
        assertEquals(oracle.messages(), failed.messages());
        assertArrayEquals(oracle.ask("What colour is the circle?", greedy(), TokenListener.NONE).tokens(),
                failed.ask("What colour is the circle?", greedy(), TokenListener.NONE).tokens());
        assertArrayEquals(oracle.tokens(), failed.tokens());
    }

    @Test
    void aFailureHalfwayThroughAPrefillIsReportedByLaterTurns() {
        // A prompt of more than one prefill chunk (512 rows) whose progress listener throws after the first chunk:
        // the caches took 512 rows of a turn the session never recorded. Later turns must not build on them.
        Session s = model.newSession();
        s.addImage(image);
        RuntimeException cancel = new RuntimeException("cancelled");
        s.onPrefillProgress((done, total) -> {
            if (done < total) throw cancel;
        });
        String longMessage = "where is the purple circle? ".repeat(100); // 800 tokens
        assertSame(cancel, assertThrows(RuntimeException.class, () -> s.ask(longMessage, greedy(), TokenListener.NONE)));
        assertEquals(0, s.tokens().length);
        assertEquals(512, s.state().textTokens(), "the first chunk is in the caches");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.ask("What colour is the circle?"));
        assertEquals("this session cannot go on: a turn failed halfway through its prefill (java.lang.RuntimeException: cancelled);"
                + " start a new session", e.getMessage());
        // A listener that throws before the caches change anything is a turn that failed before it started.
        Session t = model.newSession();
        t.addImage(image);
        t.onPrefillProgress((done, total) -> { });
        assertThrows(CacheOverflowException.class, () -> t.ask("circle ".repeat(2000), greedy(), TokenListener.NONE));
        assertEquals("purple", t.ask("What colour is the circle?"));
    }

    @Test
    void sessionsAreBoundedByMaxPositionEmbeddings() {
        assertEquals(1024, model.textConfig().maxPositionEmbeddings());
        assertEquals(1024, model.newSession(1024).state().capacity());
        assertEquals(1024, model.newSession().state().capacity());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.newSession(1025));
        assertEquals("session size 1025 outside [1, max_position_embeddings=1024]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.newSession(0));
        assertThrows(IllegalArgumentException.class, () -> model.newSession(Integer.MAX_VALUE));
        assertThrows(IllegalArgumentException.class,
                () -> model.chat(List.of(dev.casa.text.prompt.ChatMessage.user("hi")), List.of(), 4096, greedy(), TokenListener.NONE));
    }

    @Test
    void answersComeWithoutTheLeadingSpace() {
        // The demo's template ends the prompt with "Assistant:" and the model answers " purple": the API returns
        // the answer as the command line prints it (ground truth: the shape generator, models/demo/README.md).
        Session s = model.newSession();
        s.addImage(image);
        assertEquals("purple", s.ask("What colour is the circle?"));
        assertEquals("a purple circle, an orange square and a green triangle on a grey background",
                model.describe(image, "Describe the image."));
    }

    @TempDir
    Path tmp;

    @Test
    void aLongContextModelAllocatesItsCacheByUse() throws IOException {
        // A copy of the demo model whose config allows 131072 positions: a full cache would be
        // 2 (K, V) x 3 layers x 128 floats x 131072 positions x 4 bytes = 402,653,184 bytes.
        Path dir = Files.createDirectories(tmp.resolve("long"));
        try (var files = Files.list(demo.resolve("model"))) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        Path config = dir.resolve("config.json");
        String json = Files.readString(config);
        assertTrue(json.contains("\"max_position_embeddings\": 1024"));
        Files.writeString(config, json.replace("\"max_position_embeddings\": 1024", "\"max_position_embeddings\": 131072"));
        try (CasaModel big = CasaModel.load(dir)) {
            var t = big.textConfig();
            assertEquals(131072, t.maxPositionEmbeddings());
            long fullCache = 2L * t.numHiddenLayers() * t.kvDim() * 131072 * Float.BYTES;
            assertEquals(402_653_184L, fullCache);
            Session s = big.newSession();
            assertEquals(131072, s.state().capacity());
            s.addImage(image);
            assertEquals("purple", s.ask("What colour is the circle?"));
            long bytes = s.state().cacheBytes();
            // One growth step of 256 positions (786,432 bytes) plus one CASA window: well under 1% of the maximum.
            assertTrue(bytes < 1_000_000, "cache bytes " + bytes);
            assertTrue(bytes * 100 < fullCache);
            // 14 sessions used to fill a heap; a hundred cost what one full cache would.
            List<Session> many = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) many.add(big.newSession());
            assertEquals(0, many.stream().mapToLong(x -> x.state().cacheBytes()).sum(), "a new session allocates no cache");
            assertEquals("a purple circle, an orange square and a green triangle on a grey background",
                    big.describe(image, "Describe the image."));
        }
    }
}
