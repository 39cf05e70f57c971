package dev.slmops.model.tokenizer;

/** A tokenizer file or metadata map that this project cannot read: the message says what and what to do. */
public final class TokenizerFormatException extends RuntimeException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
