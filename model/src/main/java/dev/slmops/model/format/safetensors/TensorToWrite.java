package dev.slmops.model.format.safetensors;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.tensor.DType;

import java.util.Arrays;

/**
 * A tensor for a writer: name, dtype and shape (outermost first) as they will be stored, and a source that
 * streams exactly {@link #byteSize()} bytes when asked. Nothing is buffered: a mapped tensor is copied from its
 * mapping, a converted one chunk by chunk.
 */
public record TensorToWrite(String name, DType dtype, long[] shape, TensorBytes bytes) {

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
        return new TensorToWrite(name, t.dtype(), t.shape(), TensorBytes.of(t));
    }

    /** Writes a stored F32/F16/BF16 tensor as {@code target}, rounding to nearest even when narrowing. */
    public static TensorToWrite converted(StoredTensor t, DType target) {
        return new TensorToWrite(t.name(), target, t.shape(), TensorBytes.converting(t, target));
    }

    /** A float array (row-major, {@code product(shape)} values) written as F32, F16 or BF16. */
    public static TensorToWrite ofFloats(String name, long[] shape, float[] values, DType target) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        if (n != values.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n
                    + " values, got " + values.length);
        }
        return new TensorToWrite(name, target, shape, TensorBytes.ofFloats(values, target));
    }

    /** Raw little-endian bytes already in the stored layout. */
    public static TensorToWrite ofBytes(String name, DType dtype, long[] shape, byte[] bytes) {
        return new TensorToWrite(name, dtype, shape, TensorBytes.of(bytes));
    }
}
