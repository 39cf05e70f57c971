package dev.slmops.model.format.safetensors;

import dev.slmops.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Streams a float tensor's bytes to a channel in another float type, through the tensor layer's
 * {@link dev.slmops.tensor.quant.FloatConversions} (where the conversions and their reference live).
 */
public final class FloatConversions {
    private FloatConversions() {
    }

    /** Elements converted per write: 256 Ki (at most 1 MiB of output), so memory stays constant. */
    private static final int CHUNK = 1 << 18;

    /**
     * Streams {@code src} (little-endian elements of {@code from}) to {@code out} as {@code to}, in chunks of 256K
     * elements; same-type writes copy the bytes through.
     */
    public static void write(MemorySegment src, DType from, DType to, WritableByteChannel out) throws IOException {
        if (!dev.slmops.tensor.quant.FloatConversions.canConvert(from, to)) {
            throw new IllegalArgumentException("cannot convert " + from + " to " + to);
        }
        if (from == to) {
            TensorToWrite.writeSegment(src, out);
            return;
        }
        long n = src.byteSize() / from.blockBytes;
        byte[] bytes = new byte[CHUNK * to.blockBytes];
        MemorySegment outSeg = MemorySegment.ofArray(bytes);
        for (long start = 0; start < n; start += CHUNK) {
            int len = (int) Math.min(CHUNK, n - start);
            dev.slmops.tensor.quant.FloatConversions.convert(src.asSlice(start * from.blockBytes), from, outSeg, to, len);
            ByteBuffer buf = ByteBuffer.wrap(bytes, 0, len * to.blockBytes);
            while (buf.hasRemaining()) out.write(buf);
        }
    }
}
