package dev.casa.cli;

import dev.casa.Session;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.StopReason;
import dev.casa.text.generate.TokenListener;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Streams generated text to stdout as it arrives, and formats {@code --stats}. */
final class ConsoleOutput {
    /** UTF-8 whatever the platform encoding; replaced by tests to capture output. */
    static PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    static PrintStream ERR = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);

    private ConsoleOutput() {}

    /** Prints text as it arrives, without the answer's leading whitespace (e.g. the space after "Assistant:"). */
    static Streaming streaming() {
        return new Streaming();
    }

    /** The streaming listener; knows whether it printed anything. */
    static final class Streaming implements TokenListener {
        private boolean started;

        @Override
        public void onToken(int id, String text) {
            if (!started) {
                text = text.stripLeading();
                if (text.isEmpty()) return;
                started = true;
            }
            OUT.print(text);
            OUT.flush();
        }

        boolean printed() { return started; }
    }

    /**
     * A line on stderr when the answer was cut because the session's cache is full: the context left bounds every
     * answer, whatever --max-new-tokens says.
     */
    static void noteCacheFull(String command, Session session, GenerationResult r, String advice) {
        if (r.stopReason() == StopReason.CACHE_FULL) {
            ERR.println("casa " + command + ": the answer stops here: the context is full (" + session.state().capacity()
                    + " positions)" + advice);
        }
    }

    static void stats(String what, double loadSeconds, int promptTokens, double prefillSeconds, GenerationResult r) {
        ERR.printf("[%s] load %.2f s | prefill %d tokens in %.2f s (%.1f tok/s) | decode %d tokens at %.1f tok/s | stop: %s%n",
                what, loadSeconds, promptTokens, prefillSeconds, prefillSeconds > 0 ? promptTokens / prefillSeconds : 0,
                r.tokens().length, r.decodeTokensPerSecond(), r.stopReason());
    }
}
