package dev.casa.spark;

import static org.junit.jupiter.api.Assertions.*;

import dev.casa.CasaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutorModelsTest {
    @Test
    void tasksThatStartTogetherShareOneLoad(@TempDir Path tmp) throws Exception {
        // A copy of the demo model: a directory no other test loads, so the count is this test's alone.
        Path copy = tmp.resolve("model");
        Files.createDirectory(copy);
        try (Stream<Path> files = Files.list(SparkTests.modelDir())) {
            for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
        }
        ModelSpec spec = new ModelSpec(copy.toString(), "none", 1);
        int threads = 6;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<CasaModel>> got = new ArrayList<>();
            for (int i = 0; i < threads; i++) got.add(pool.submit(() -> { go.await(); return ExecutorModels.get(spec); }));
            go.countDown();
            CasaModel first = got.get(0).get();
            for (Future<CasaModel> f : got) assertSame(first, f.get());
            assertEquals(1, ExecutorModels.loads(copy));
            assertSame(first, ExecutorModels.get(spec));
            assertEquals(1, ExecutorModels.loads(copy));
            assertEquals(1, first.pool().threads());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBrokenModelDirectoryFailsEveryTimeAndIsNeverCounted(@TempDir Path tmp) throws IOException {
        Path broken = Files.createDirectory(tmp.resolve("broken"));
        Files.writeString(broken.resolve("config.json"), "{\"model_type\": \"casa\"");
        ModelSpec spec = new ModelSpec(broken.toString(), null, 1);
        RuntimeException first = assertThrows(RuntimeException.class, () -> ExecutorModels.get(spec));
        assertTrue(first.getMessage().contains("config.json"), first.getMessage());
        assertThrows(RuntimeException.class, () -> ExecutorModels.get(spec));
        assertEquals(0, ExecutorModels.loads(broken));
    }
}
