package dev.slmops.model.tokenizer;

/**
 * GPT-2's byte-to-unicode map: every byte becomes one printable character so that a byte string can be
 * written as a vocabulary string. Bytes {@code '!'..'~'}, {@code '¡'..'¬'} and {@code '®'..'ÿ'} map to the
 * character of the same value; the remaining 68 bytes map, in increasing order, to U+0100, U+0101, ...
 * (so the space 0x20 becomes 'Ġ' U+0120 and the newline 0x0A becomes 'Ċ' U+010A).
 */
final class ByteLevel {
    /** byte (0..255) -> its character. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** character (0..0x143) -> its byte, or -1 where the character is not part of the map. */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {
    }

    /** The bytes a byte-level vocabulary string stands for, or null when a character is not in the map. */
    static byte[] decode(String token) {
        byte[] out = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) return null;
            out[i] = (byte) CHAR_TO_BYTE[c];
        }
        return out;
    }

    /** The byte-level string of some UTF-8 bytes. */
    static String encode(byte[] bytes, int from, int to) {
        char[] cs = new char[to - from];
        for (int i = from; i < to; i++) cs[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(cs);
    }
}
