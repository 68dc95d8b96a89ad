package dev.casa.text.model;

/** Which rows of logits a forward call returns. */
public enum LogitsMode {
    /** One row per text token of the call (the {@code casa forward} output). */
    ALL,
    /** Only the row of the call's last text token (generation). */
    LAST,
    /** None (prefill whose logits are not needed). */
    NONE
}
