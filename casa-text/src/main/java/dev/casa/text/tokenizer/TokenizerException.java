package dev.casa.text.tokenizer;

/** A tokenizer.json that cannot be used: malformed, or naming a component this library lacks. */
public class TokenizerException extends IllegalArgumentException {
    public TokenizerException(String message) { super(message); }
    public TokenizerException(String message, Throwable cause) { super(message, cause); }
}
