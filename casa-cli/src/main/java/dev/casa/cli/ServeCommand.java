package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.server.CasaServer;
import dev.casa.server.ServerConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code casa serve}: the OpenAI-compatible server with live caption streams and a web page. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over HTTP: OpenAI chat completions, live caption streams (/v1/streams), a web page at /.",
            "Binds to loopback (127.0.0.1) unless --host says otherwise."})
public final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "address to bind (default ${DEFAULT-VALUE}: this machine only)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "port (default ${DEFAULT-VALUE}; 0: any free port)")
    int port;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1", description = "generations at once (default ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16",
            description = "requests that may wait for a slot; more get 429 (default ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--api-key", paramLabel = "KEY", description = "require 'Authorization: Bearer KEY' on every endpoint but /health")
    String apiKey;

    @Option(names = "--allow-dir", paramLabel = "DIR", description = "a folder whose images requests may name by path (repeatable)")
    List<Path> allowDirs = new ArrayList<>();

    @Option(names = "--context", paramLabel = "N", defaultValue = "0",
            description = "tokens per chat request, prompt and answer (default: the model's max_position_embeddings)")
    int context;

    @Option(names = "--stream-context", paramLabel = "N", defaultValue = "512",
            description = "default text budget of a live stream; it starts over when full (default ${DEFAULT-VALUE})")
    int streamContext;

    @Option(names = "--stream-idle", paramLabel = "SECONDS", defaultValue = "300",
            description = "close streams idle this long (default ${DEFAULT-VALUE})")
    long streamIdle;

    @Option(names = "--max-streams", paramLabel = "N", defaultValue = "16", description = "open streams at most (default ${DEFAULT-VALUE})")
    int maxStreams;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "33554432", description = "largest request body (default 32 MiB)")
    long maxBody;

    @Option(names = "--max-images", paramLabel = "N", defaultValue = "8", description = "images per request at most (default ${DEFAULT-VALUE})")
    int maxImages;

    @Option(names = "--max-image-pixels", paramLabel = "N", defaultValue = "16777216",
            description = "largest image, width x height (default 16 Mpx)")
    long maxImagePixels;

    @Option(names = "--model-id", paramLabel = "NAME", description = "the model's name for clients (default: the model folder's name)")
    String modelId;

    /** The server's settings from the options (separate from {@link #call} so that tests can check them). */
    ServerConfig config() {
        ServerConfig.Builder b = ServerConfig.builder().host(host).port(port).parallel(parallel).queue(queue).apiKey(apiKey)
                .contextTokens(context).streamContextTokens(streamContext).streamIdle(Duration.ofSeconds(streamIdle))
                .maxStreams(maxStreams).maxBodyBytes(maxBody).maxImages(maxImages).maxImagePixels(maxImagePixels).modelId(modelId);
        for (Path d : allowDirs) b.allowDir(d);
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig config = config();
        try (CasaModel model = modelOptions.load();
             CasaServer server = CasaServer.start(model, config)) {
            boolean loopback = InetAddress.getByName(host).isLoopbackAddress();
            ConsoleOutput.ERR.println("casa serve: " + model.architecture() + " as '" + server.modelId() + "' on " + server.uri()
                    + " (" + config.parallel() + " at once, queue " + config.queue() + (config.apiKey() != null ? ", API key required" : "") + ")");
            if (!loopback && config.apiKey() == null) {
                ConsoleOutput.ERR.println("casa serve: warning: listening on " + host + " without --api-key: anyone who can reach this address can use the model");
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (Exception ignored) {
                    // stopping anyway
                }
            }, "casa-serve-shutdown"));
            server.join();
        }
        return 0;
    }
}
