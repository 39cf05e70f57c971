package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Random weight bytes of any supported type: every bit pattern of a quant field is a valid weight, so blocks are
 * random bytes with their half-precision scale fields overwritten by finite values of a sane size.
 */
final class RandomWeights {
    private RandomWeights() {
    }

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static MemorySegment of(DType type, int rows, int cols, long seed) {
        Random rnd = new Random(seed);
        long elements = (long) rows * cols;
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor(elements))];
        rnd.nextBytes(bytes);
        MemorySegment s = MemorySegment.ofArray(bytes);
        switch (type) {
            case F32 -> { for (long i = 0; i < elements; i++) s.set(FLOAT, 4 * i, (float) rnd.nextGaussian()); }
            case F16 -> { for (long i = 0; i < elements; i++) s.set(HALF, 2 * i, Float.floatToFloat16((float) rnd.nextGaussian())); }
            case BF16 -> { for (long i = 0; i < elements; i++) s.set(HALF, 2 * i, (short) (Float.floatToIntBits((float) rnd.nextGaussian()) >>> 16)); }
            default -> {
                int[] halfFields = switch (type) {
                    case Q4_0, Q5_0, Q8_0 -> new int[]{0};
                    case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
                    case Q6_K -> new int[]{208};
                    case Q2_K -> new int[]{80, 82};
                    case Q3_K -> new int[]{108};
                    default -> throw new IllegalArgumentException(type.toString());
                };
                for (long b = 0; b < elements / type.blockSize; b++) {
                    for (int f : halfFields) {
                        float v = (float) (rnd.nextGaussian() * 0.05);
                        s.set(HALF, b * type.blockBytes + f, Float.floatToFloat16(v));
                    }
                }
            }
        }
        return s;
    }

    static float[] activations(int n, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }
}
