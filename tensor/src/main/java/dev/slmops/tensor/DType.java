package dev.slmops.tensor;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Element types of stored tensors. Block-quantized types pack {@link #blockSize} elements into
 * {@link #blockBytes} bytes, in ggml's layouts; plain types have a block size of 1.
 * {@link #ggmlType} is the id GGUF files use (ggml_type), -1 for types GGUF cannot hold.
 */
public enum DType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),   // half d; 16 bytes of 4-bit quants
    Q4_1(3, 32, 20),   // half d, half m; 16 bytes of 4-bit quants
    Q5_0(6, 32, 22),   // half d; 4 bytes high bits; 16 bytes low nibbles
    Q5_1(7, 32, 24),   // half d, half m; 4 bytes high bits; 16 bytes low nibbles
    Q8_0(8, 32, 34),   // half d; 32 int8 quants
    Q8_1(9, 32, 36),   // half d, half s; 32 int8 quants
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144), // half d, half dmin; 12 bytes of 6-bit scales/mins; 128 bytes of nibbles
    Q5_K(13, 256, 176), // as Q4_K plus 32 bytes of high bits
    Q6_K(14, 256, 210), // 128 bytes low nibbles; 64 bytes high 2 bits; 16 int8 scales; half d
    Q8_K(15, 256, 292), // float d; 256 int8 quants; 16 int16 block sums
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    BF16(30, 1, 2),
    /** Safetensors' BOOL and U8 have no GGUF id. */
    U8(-1, 1, 1),
    BOOL(-1, 1, 1);

    public final int ggmlType;
    public final int blockSize;
    public final int blockBytes;

    DType(int ggmlType, int blockSize, int blockBytes) {
        this.ggmlType = ggmlType;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    public boolean isFloat() {
        return this == F32 || this == F16 || this == BF16 || this == F64;
    }

    /** Bytes needed for {@code elements} elements; the count must be a whole number of blocks. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a whole number of " + this
                    + " blocks (" + blockSize + " elements each)");
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The DType of a ggml type id, or an IllegalArgumentException naming the supported ones. */
    public static DType fromGgmlType(int id) {
        for (DType t : values()) {
            if (t.ggmlType == id) return t;
        }
        throw new IllegalArgumentException("unsupported ggml tensor type id " + id + "; supported: "
                + Arrays.stream(values()).filter(t -> t.ggmlType >= 0)
                .map(t -> t.name() + "=" + t.ggmlType).collect(Collectors.joining(", ")));
    }
}
