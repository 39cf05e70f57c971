package dev.slmops.model.tokenizer.train;

/**
 * GPT-2's byte-to-unicode alphabet: every byte 0..255 is written as one printable code point so that a
 * token's bytes become a JSON-safe string without spaces. Printable Latin-1 bytes ('!'..'~', '¡'..'¬',
 * '®'..'ÿ') stand for themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, ... (so the
 * space 0x20 is 'Ġ' U+0120 and the newline 0x0A is 'Ċ' U+010A).
 *
 * <p>Token ids 0..255 of a trained vocabulary are the bytes themselves (id b = byte b).
 */
final class ByteLevelAlphabet {
    /** byte value (0..255) -> code point */
    private static final char[] BYTE_TO_CHAR = new char[256];

    static {
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = printable ? (char) b : (char) next++;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The byte-level string of {@code bytes}: one char per byte. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The char that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }
}
