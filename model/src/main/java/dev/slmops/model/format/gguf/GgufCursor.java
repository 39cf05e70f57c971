package dev.slmops.model.format.gguf;

import dev.slmops.model.format.ModelFileException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharsetDecoder;

/**
 * A bounds-checked little-endian reader over a GGUF file's bytes. Every read first checks that the bytes
 * exist, so a truncated or lying file ends in a {@link ModelFileException} naming the file and the byte
 * offset, never in an IndexOutOfBoundsException.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    final String source;
    private final MemorySegment bytes;
    private final long size;
    private long pos;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    GgufCursor(String source, MemorySegment bytes) {
        this.source = source;
        this.bytes = bytes;
        this.size = bytes.byteSize();
    }

    long position() {
        return pos;
    }

    long size() {
        return size;
    }

    long remaining() {
        return size - pos;
    }

    ModelFileException error(String problem) {
        return new ModelFileException(source, problem);
    }

    /** Fails unless {@code n} more bytes exist; {@code what} says what they were meant to be. */
    void need(long n, String what) throws ModelFileException {
        if (n < 0 || n > size - pos) {
            throw error("file ends inside " + what + " (needs " + Long.toUnsignedString(n) + " bytes at byte " + pos
                    + ", file has " + size + "): the file is truncated or corrupt");
        }
    }

    int u8(String what) throws ModelFileException {
        need(1, what);
        return Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, pos++));
    }

    byte i8(String what) throws ModelFileException {
        need(1, what);
        return bytes.get(ValueLayout.JAVA_BYTE, pos++);
    }

    short i16(String what) throws ModelFileException {
        need(2, what);
        short v = bytes.get(U16, pos);
        pos += 2;
        return v;
    }

    int i32(String what) throws ModelFileException {
        need(4, what);
        int v = bytes.get(U32, pos);
        pos += 4;
        return v;
    }

    long u32(String what) throws ModelFileException {
        return Integer.toUnsignedLong(i32(what));
    }

    long i64(String what) throws ModelFileException {
        need(8, what);
        long v = bytes.get(U64, pos);
        pos += 8;
        return v;
    }

    /**
     * A uint64 count or length, which must fit the rest of the file at {@code minBytesEach} bytes per item:
     * checked before anything proportional to it is allocated.
     */
    long count(String what, long minBytesEach) throws ModelFileException {
        long at = pos;
        long n = i64(what);
        if (n < 0 || (minBytesEach > 0 && n > remaining() / minBytesEach)) {
            throw error(what + " is " + Long.toUnsignedString(n) + " (at byte " + at + ") but the "
                    + remaining() + " bytes left in the file can hold at most "
                    + (minBytesEach > 0 ? remaining() / minBytesEach : remaining())
                    + ": the file is truncated or corrupt");
        }
        return n;
    }

    /** A GGUF string: uint64 byte length, then that many bytes of strict UTF-8. */
    String string(String what) throws ModelFileException {
        long at = pos;
        long len = count("length of " + what, 1);
        byte[] raw = new byte[Math.toIntExact(Math.min(len, Integer.MAX_VALUE - 16))];
        if (raw.length != len) throw error(what + " at byte " + at + " is " + len + " bytes long: too long for a string");
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, pos, raw, 0, raw.length);
        pos += len;
        try {
            return utf8.decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw error(what + " at byte " + at + " is not valid UTF-8 (" + e.getMessage() + "): the file is corrupt");
        }
    }

    void seek(long newPos) {
        pos = newPos;
    }
}
