package dev.casa.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final String label;
    private final boolean enabled;

    ProgressBar(PrintStream err, String label) {
        this.err = err;
        this.label = label;
        this.enabled = System.console() != null && System.console().isTerminal();
    }

    void update(long done, long total) {
        if (!enabled || total <= 0) return;
        int filled = (int) (WIDTH * done / total);
        err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + (100 * done / total) + "%");
        if (done >= total) err.print("\r" + " ".repeat(label.length() + WIDTH + 10) + "\r");
        err.flush();
    }
}
