package dev.casa.spark;

import dev.casa.Session;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.vision.image.RgbImage;

/**
 * One image and one question asked in a session, as the appended columns record it (see
 * {@link OutputColumns#IMAGE}): the answer (stripped), prompt tokens fed and tokens generated (without
 * the stop token), why generation stopped, and the time to read and decode the image, encode it with
 * the vision tower, prefill the prompt, and generate. A failed row has only its error and total time.
 */
record Turn(String answer, Integer promptTokens, Integer answerTokens, String stopReason, Double readMs,
            Double visionMs, Double prefillMs, Double decodeMs, double totalMs, String error) {

    static Turn failed(Throwable e, long startNanos) {
        return new Turn(null, null, null, null, null, null, null, null, millis(System.nanoTime() - startNanos), message(e));
    }

    /** Asks {@code prompt} about {@code image} in {@code session}; exceptions are the caller's to record. */
    static Turn ask(Session session, RgbImage image, String prompt, GenerationOptions options, long startNanos, long readNanos) {
        if (prompt == null) throw new IllegalArgumentException("the prompt is null");
        session.addImage(image);
        GenerationResult r = session.ask(prompt, options, TokenListener.NONE);
        Session.TurnStats t = session.lastTurn();
        return new Turn(r.text().strip(), t.promptTokens(), r.tokens().length, r.stopReason().name(), millis(readNanos),
                millis(t.imageNanos()), millis(t.prefillNanos() - t.imageNanos()), millis(r.decodeNanos()),
                millis(System.nanoTime() - startNanos), null);
    }

    /** The appended values, in {@link OutputColumns#IMAGE} order. */
    Object[] values() {
        return new Object[] {answer, promptTokens, answerTokens, stopReason, readMs, visionMs, prefillMs, decodeMs, totalMs, error};
    }

    /** One line naming the problem (the library's messages do; a bare exception gets its type). */
    static String message(Throwable e) {
        String m = e.getMessage();
        String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        return text.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
