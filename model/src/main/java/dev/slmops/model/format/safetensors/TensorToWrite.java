package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * A tensor for a writer: name, dtype and shape (outermost first) as they will be stored, and a source that
 * streams exactly {@link #byteSize()} bytes when asked. Nothing is buffered: a mapped tensor is copied from its
 * mapping, a converted one chunk by chunk.
 */
public record TensorToWrite(String name, DType dtype, long[] shape, Bytes bytes) {

    /** Writes the tensor's stored bytes (little-endian, row-major) to {@code out}. */
    @FunctionalInterface
    public interface Bytes {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    public TensorToWrite {
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return dtype.bytesFor(elementCount());
    }

    /** Copies a stored tensor as it is (same dtype), under its own name. */
    public static TensorToWrite of(StoredTensor t) {
        return of(t.name(), t);
    }

    /** Copies a stored tensor as it is, under {@code name}. */
    public static TensorToWrite of(String name, StoredTensor t) {
        MemorySegment data = t.data();
        return new TensorToWrite(name, t.dtype(), t.shape(), out -> writeSegment(data, out));
    }

    /** Writes a stored F32/F16/BF16 tensor as {@code target}, rounding to nearest even when narrowing. */
    public static TensorToWrite converted(StoredTensor t, DType target) {
        if (t.dtype() == target) return of(t);
        if (!dev.slmops.tensor.quant.FloatConversions.canConvert(t.dtype(), target)) {
            throw new IllegalArgumentException(t.name() + ": cannot convert " + t.dtype() + " to " + target
                    + " (conversions are between F32, F16 and BF16)");
        }
        MemorySegment data = t.data();
        DType from = t.dtype();
        return new TensorToWrite(t.name(), target, t.shape(), out -> FloatConversions.write(data, from, target, out));
    }

    /** A float array (row-major, {@code product(shape)} values) written as F32, F16 or BF16. */
    public static TensorToWrite ofFloats(String name, long[] shape, float[] values, DType target) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " values, got " + values.length);
        }
        if (target == DType.F32) {
            // Heap float[] is in native order; the file is little-endian.
            return new TensorToWrite(name, target, shape, out -> {
                ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(values);
                while (buf.hasRemaining()) out.write(buf);
            });
        }
        MemorySegment le = littleEndianCopy(values);
        return new TensorToWrite(name, target, shape, out -> FloatConversions.write(le, DType.F32, target, out));
    }

    /** Raw little-endian bytes already in the stored layout. */
    public static TensorToWrite ofBytes(String name, DType dtype, long[] shape, byte[] bytes) {
        return new TensorToWrite(name, dtype, shape, out -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) out.write(buf);
        });
    }

    private static MemorySegment littleEndianCopy(float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, values[i]);
        }
        return seg;
    }

    static void writeSegment(MemorySegment data, WritableByteChannel out) throws IOException {
        long chunk = 8L << 20;
        for (long off = 0; off < data.byteSize(); off += chunk) {
            ByteBuffer buf = data.asSlice(off, Math.min(chunk, data.byteSize() - off)).asByteBuffer();
            while (buf.hasRemaining()) out.write(buf);
        }
    }
}
