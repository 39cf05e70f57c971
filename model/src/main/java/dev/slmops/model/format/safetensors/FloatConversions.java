package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.WritableByteChannel;

/**
 * Left only for {@code dev.slmops.model.init.ModelInit}, which the dedupe change could not edit: call
 * {@link TensorBytes#converting(MemorySegment, DType, DType)} instead, then delete this class.
 */
public final class FloatConversions {
    private FloatConversions() {
    }

    /** Streams {@code src} (little-endian {@code from}) to {@code out} as {@code to}: see {@link TensorBytes#converting}. */
    public static void write(MemorySegment src, DType from, DType to, WritableByteChannel out) throws IOException {
        TensorBytes.converting(src, from, to).writeTo(out);
    }
}
