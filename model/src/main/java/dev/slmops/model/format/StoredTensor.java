package dev.slmops.model.format;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor as a file stores it: its name in that file's naming scheme, element type, shape and bytes.
 *
 * <p>{@code shape} is always outermost dimension first (row-major, as PyTorch and safetensors write it):
 * a linear layer's weight is {@code [out_features, in_features]}. GGUF stores dimensions innermost first
 * ({@code ne[0]} is the row length); its reader reverses them so both formats agree here.
 *
 * <p>{@code data} is a slice of the memory-mapped file (never a heap copy), exactly
 * {@code dtype.bytesFor(elementCount())} bytes long.
 */
public record StoredTensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public StoredTensor {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
