package dev.casa.text.generate;

/** Receives generated text as it is produced; {@code text} is only whole characters (may be empty). */
@FunctionalInterface
public interface TokenListener {
    void onToken(int tokenId, String text);

    TokenListener NONE = (id, text) -> { };
}
