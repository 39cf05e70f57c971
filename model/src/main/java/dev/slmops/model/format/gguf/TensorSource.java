package dev.slmops.model.format.gguf;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * Where a tensor's bytes come from when {@link GgufWriter} streams a file: called once, when the writer
 * reaches that tensor, it must write exactly the tensor's bytes (row-major, outermost dimension first; for
 * block-quantized types whole blocks along the innermost dimension). Nothing else is held in memory, so a
 * model larger than the heap can be written one tensor at a time.
 */
@FunctionalInterface
public interface TensorSource {

    void writeTo(WritableByteChannel out) throws IOException;

    /** Chunk size for streaming conversions: 64 Ki elements (at most 256 KiB of output). */
    int CHUNK_ELEMENTS = 1 << 16;

    /** The bytes as they are (any dtype: raw pass-through). */
    static TensorSource of(MemorySegment bytes) {
        return out -> writeFully(bytes, out);
    }

    /** A stored tensor's bytes as they are, keeping its dtype. */
    static TensorSource of(StoredTensor tensor) {
        return of(tensor.data());
    }

    /**
     * A float tensor (F32, F16 or BF16) converted element by element to {@code target} (F32, F16 or BF16),
     * streamed in chunks of {@link #CHUNK_ELEMENTS}.
     */
    static TensorSource converting(StoredTensor tensor, DType target) {
        DType from = tensor.dtype();
        if (from == target) return of(tensor);
        if (!FloatConversions.isConvertible(from) || !FloatConversions.isConvertible(target)) {
            throw new IllegalArgumentException("cannot convert tensor '" + tensor.name() + "' from " + from + " to " + target
                    + ": only F32, F16 and BF16 convert to each other here (quantized types: use a quantizer)");
        }
        long n = tensor.elementCount();
        MemorySegment src = tensor.data();
        return out -> {
            int chunk = (int) Math.min(n, CHUNK_ELEMENTS);
            MemorySegment buf = MemorySegment.ofArray(new byte[Math.toIntExact(target.bytesFor(Math.max(chunk, 1)))]);
            for (long start = 0; start < n; start += chunk) {
                int len = (int) Math.min(chunk, n - start);
                FloatConversions.convert(src.asSlice(from.bytesFor(start)), from, buf, target, len);
                writeFully(buf.asSlice(0, target.bytesFor(len)), out);
            }
        };
    }

    /** Float values (row-major, outermost first) stored as F32, F16 or BF16. */
    static TensorSource ofFloats(float[] values, DType target) {
        return converting(new StoredTensor("values", DType.F32, new long[]{values.length},
                MemorySegment.ofArray(values)), target);
    }

    /** Writes all of {@code bytes}, in slices a ByteBuffer can address. */
    static void writeFully(MemorySegment bytes, WritableByteChannel out) throws IOException {
        boolean viewable = bytes.isNative() || bytes.heapBase().map(base -> base instanceof byte[]).orElse(false);
        final long slice = viewable ? 1L << 26 : 1L << 16;
        byte[] copy = viewable ? null : new byte[(int) Math.min(slice, bytes.byteSize())];
        for (long off = 0; off < bytes.byteSize(); off += slice) {
            long len = Math.min(slice, bytes.byteSize() - off);
            ByteBuffer b;
            if (viewable) {
                b = bytes.asSlice(off, len).asByteBuffer();
            } else { // a heap segment over float[], short[] ...: no ByteBuffer view, so copy a chunk
                MemorySegment.copy(bytes, java.lang.foreign.ValueLayout.JAVA_BYTE, off, copy, 0, (int) len);
                b = ByteBuffer.wrap(copy, 0, (int) len);
            }
            while (b.hasRemaining()) out.write(b);
        }
    }
}
