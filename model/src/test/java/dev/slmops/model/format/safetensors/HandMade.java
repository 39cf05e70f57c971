package dev.slmops.model.format.safetensors;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Safetensors files assembled byte by byte from the spec (u64 LE header length, JSON header, data). */
final class HandMade {
    private HandMade() {
    }

    static byte[] file(String headerJson, int dataBytes) {
        return file(headerJson.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]);
    }

    static byte[] file(byte[] header, byte[] data) {
        return withLength(header.length, header, data);
    }

    /** A file whose length field says {@code length} whatever the header really is. */
    static byte[] withLength(long length, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length).put(header).put(data);
        return b.array();
    }
}
