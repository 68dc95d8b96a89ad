package dev.casa.text.lm;

/** Which logits a forward call returns. */
public enum LogitsMode {
    /** One row per row of the call that has a token id (text and placeholder rows). */
    ALL,
    /** The row of the call's last stream position (what generation needs). */
    LAST,
    /** None (a prefill whose logits are not needed). */
    NONE
}
