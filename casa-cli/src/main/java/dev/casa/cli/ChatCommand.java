package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.core.safetensors.ModelFileChangedException;
import dev.casa.text.generate.GenerationResult;
import dev.casa.vision.image.ImageDecoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code casa chat}: an interactive conversation; {@code /image PATH} attaches an image to the next turn. A turn
 * that fails (a message too long for the context, a template error, a bad image) is reported on one line and the
 * conversation goes on: the session is as it was before the turn (see {@link Session}). Only a weight file changed
 * on disk ends the chat, since every later turn would fail the same way.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Interactive chat. Type a message; /image PATH adds an image to the next message; /quit ends.")
public final class ChatCommand implements Callable<Integer> {
    /**
     * Longest input line: as long as a chat template may render in all (TemplateBudget.maxOutputChars), far more
     * than any context holds. Only piped input gets there; a line without end ({@code < /dev/zero}) ends the chat.
     */
    static final int MAX_LINE_CHARS = 8 << 20;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Override
    public Integer call() throws IOException {
        long t0 = System.nanoTime();
        try (CasaModel model = modelOptions.load()) {
            double load = (System.nanoTime() - t0) / 1e9;
            Session session = model.newSession();
            ProgressBar bar = new ProgressBar(ConsoleOutput.ERR, "prefill");
            session.onPrefillProgress(bar::update);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            ConsoleOutput.ERR.println("casa chat: /image PATH adds an image, /quit ends.");
            String line;
            while (true) {
                ConsoleOutput.OUT.print("> ");
                ConsoleOutput.OUT.flush();
                try {
                    line = BoundedLines.readLine(in, MAX_LINE_CHARS);
                } catch (BoundedLines.TooLong e) {
                    throw new IllegalArgumentException("standard input: a line " + e.getMessage());
                }
                if (line == null || line.strip().equals("/quit")) break;
                if (line.startsWith("/image ")) {
                    try {
                        session.addImage(ImageDecoder.decode(Path.of(line.substring(7).strip())));
                        ConsoleOutput.ERR.println("(image added to the next message)");
                    } catch (RuntimeException e) {
                        ConsoleOutput.ERR.println("casa chat: error: " + CasaCli.oneLine(e));
                    }
                    continue;
                }
                if (line.isBlank()) continue;
                ConsoleOutput.Streaming out = ConsoleOutput.streaming();
                GenerationResult r;
                try {
                    r = session.ask(line, generation.toOptions(model), out);
                } catch (ModelFileChangedException e) {
                    if (out.printed()) ConsoleOutput.OUT.println();
                    throw e;
                } catch (RuntimeException e) {
                    if (out.printed()) ConsoleOutput.OUT.println();
                    ConsoleOutput.ERR.println("casa chat: error: " + CasaCli.oneLine(e)
                            + (out.printed() ? " (the answer stops here; the chat goes on)" : " (message not sent; the chat goes on)"));
                    continue;
                }
                ConsoleOutput.OUT.println();
                ConsoleOutput.noteCacheFull("chat", session, r, ": /quit and start a new chat");
                if (generation.stats) {
                    ConsoleOutput.stats("chat", load, session.lastTurn().promptTokens(), session.lastTurn().prefillNanos() / 1e9, r);
                }
            }
            return 0;
        }
    }
}
