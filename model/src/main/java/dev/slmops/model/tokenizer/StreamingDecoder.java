package dev.slmops.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Decodes ids fed one at a time and returns only complete characters: bytes of a UTF-8 sequence that
 * spans several tokens are held back until the sequence is complete. A sequence that can no longer
 * complete (an invalid byte) is emitted as U+FFFD, as {@link Tokenizer#decode} would. Not thread-safe:
 * one per generated sequence.
 */
public final class StreamingDecoder {
    private final IntFunction<byte[]> bytesOf;
    private boolean stripLeadingSpace;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /** {@code bytesOf} gives the bytes of a token, or null to skip it (a skipped special token). */
    StreamingDecoder(IntFunction<byte[]> bytesOf, boolean stripLeadingSpace) {
        this.bytesOf = bytesOf;
        this.stripLeadingSpace = stripLeadingSpace;
    }

    /** Adds one token; returns the text that is now complete (often "", never half a character). */
    public String next(int id) {
        byte[] b = bytesOf.apply(id);
        if (b == null || b.length == 0) return "";
        if (pendingLength + b.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + b.length));
        }
        System.arraycopy(b, 0, pending, pendingLength, b.length);
        pendingLength += b.length;
        int cut = completePrefix(pending, pendingLength);
        if (cut == 0) return "";
        String text = new String(pending, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(pending, cut, pending, 0, pendingLength - cut);
        pendingLength -= cut;
        if (stripLeadingSpace && !text.isEmpty()) {
            if (text.charAt(0) == ' ') text = text.substring(1);
            stripLeadingSpace = false;
        }
        return text;
    }

    /** Whatever is still held back (an unfinished character, as U+FFFD), and resets. */
    public String flush() {
        String text = new String(pending, 0, pendingLength, StandardCharsets.UTF_8);
        pendingLength = 0;
        return text;
    }

    /**
     * The length of the longest prefix that ends on a character boundary: the whole buffer unless its
     * tail is the start of a multi-byte sequence still waiting for continuation bytes.
     */
    static int completePrefix(byte[] b, int n) {
        for (int back = 1; back <= 3 && back <= n; back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue;          // continuation byte: look further back
            int need = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead < 0xF0 ? 3
                    : lead >= 0xC2 && lead < 0xE0 ? 2 : 1;
            return need > back ? n - back : n;            // lead byte with too few continuations: wait
        }
        return n;
    }
}
