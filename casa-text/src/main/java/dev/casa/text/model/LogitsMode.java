package dev.casa.text.model;

/** Which rows of logits a forward call returns. */
public enum LogitsMode {
    /** One row per text token of the call (the {@code casa forward} output). */
    ALL,
    /**
     * Only the row of the call's last stream position (generation): its last text token, or in
     * insertion mode its last image row when the call ends with an image.
     */
    LAST,
    /** None (prefill whose logits are not needed). */
    NONE
}
