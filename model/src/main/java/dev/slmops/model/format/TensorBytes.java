package dev.slmops.model.format;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Where a tensor's stored bytes come from when a writer (GGUF or safetensors) streams a file: called once, when
 * the writer reaches that tensor, it must write exactly the tensor's bytes (little-endian, row-major, outermost
 * dimension first; for block-quantized types whole blocks along the innermost dimension). Nothing else is held in
 * memory, so a model larger than the heap can be written one tensor at a time.
 */
@FunctionalInterface
public interface TensorBytes {

    void writeTo(WritableByteChannel out) throws IOException;

    /**
     * Writes these bytes to {@code out} (a writer's file channel) and returns how many were written, so the writer
     * can check the count against the tensor's size. The source may not close {@code out}.
     */
    default long writeCounted(WritableByteChannel out) throws IOException {
        CountingChannel counted = new CountingChannel(out);
        writeTo(counted);
        return counted.count;
    }

    /** Elements per converted chunk: 64 Ki (at most 256 KiB of output), so memory stays constant. */
    int CHUNK_ELEMENTS = 1 << 16;

    /** The bytes as they are (any dtype: raw pass-through). */
    static TensorBytes of(MemorySegment bytes) {
        return out -> writeFully(bytes, out);
    }

    /** A stored tensor's bytes as they are, keeping its dtype. */
    static TensorBytes of(StoredTensor tensor) {
        return of(tensor.data());
    }

    /** Raw little-endian bytes already in the stored layout. */
    static TensorBytes of(byte[] bytes) {
        return of(MemorySegment.ofArray(bytes));
    }

    /**
     * A float tensor (F32, F16 or BF16) converted to {@code target} (F32, F16 or BF16, rounding to nearest even when
     * narrowing), streamed in chunks of {@link #CHUNK_ELEMENTS}; the same type is copied through.
     */
    static TensorBytes converting(StoredTensor tensor, DType target) {
        checkConvertible(tensor.name(), tensor.dtype(), target);
        return converting(tensor.data(), tensor.dtype(), target);
    }

    /** {@code src} (little-endian elements of {@code from}) converted to {@code to}; both F32, F16 or BF16. */
    static TensorBytes converting(MemorySegment src, DType from, DType to) {
        checkConvertible("tensor", from, to);
        if (from == to) return of(src);
        long n = src.byteSize() / from.blockBytes;
        return out -> {
            int chunk = (int) Math.min(n, CHUNK_ELEMENTS);
            MemorySegment buf = MemorySegment.ofArray(new byte[Math.toIntExact(to.bytesFor(Math.max(chunk, 1)))]);
            for (long start = 0; start < n; start += chunk) {
                int len = (int) Math.min(chunk, n - start);
                FloatConversions.convert(src.asSlice(from.bytesFor(start)), from, buf, to, len);
                writeFully(buf.asSlice(0, to.bytesFor(len)), out);
            }
        };
    }

    /** Float values (row-major, outermost first) stored as F32, F16 or BF16. */
    static TensorBytes ofFloats(float[] values, DType target) {
        MemorySegment le;
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            le = MemorySegment.ofArray(values); // a heap float[] is in native order: already little-endian
        } else {
            le = MemorySegment.ofArray(new byte[values.length * 4]);
            for (int i = 0; i < values.length; i++) FloatConversions.write(DType.F32, le, i, values[i]);
        }
        return converting(le, DType.F32, target);
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
                MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, off, copy, 0, (int) len);
                b = ByteBuffer.wrap(copy, 0, (int) len);
            }
            while (b.hasRemaining()) out.write(b);
        }
    }

    private static void checkConvertible(String name, DType from, DType to) {
        if (from != to && !FloatConversions.canConvert(from, to)) {
            throw new IllegalArgumentException(name + ": cannot convert " + from + " to " + to
                    + " (conversions are between F32, F16 and BF16; quantized types: use a quantizer)");
        }
    }

    /** Counts what a source writes and writes it fully; closing it leaves the writer's channel open. */
    final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        private long count;

        private CountingChannel(WritableByteChannel out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = 0;
            while (src.hasRemaining()) n += out.write(src);
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
        }
    }
}
