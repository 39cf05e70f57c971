package dev.slmops.tensor.bench;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Quantize;

import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Weight bytes for benchmarks: real quantization for simple types, random bits (valid data) for K-quants. */
final class BenchWeights {
    private BenchWeights() {
    }

    /** K-quant rows must be whole 256-element blocks: 576 becomes 768, 896 becomes 1024 (printed by the caller). */
    static int roundUpToBlocks(DType type, int k) {
        int rounded = (k + type.blockSize - 1) / type.blockSize * type.blockSize;
        if (rounded != k) System.out.printf("%n[bench] %s rows need whole blocks: K %d -> %d%n", type, k, rounded);
        return rounded;
    }

    static MemorySegment encode(DType type, float[] w, int n, int k) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> Quantize.fromFloat(type, w);
            default -> {
                byte[] b = new byte[Math.toIntExact(type.bytesFor((long) n * k))];
                new Random(2).nextBytes(b);
                MemorySegment s = MemorySegment.ofArray(b);
                int[] halves = type == DType.Q6_K ? new int[]{208} : new int[]{0, 2};
                for (long blk = 0; blk < b.length / type.blockBytes; blk++) {
                    for (int f : halves) {
                        s.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, blk * type.blockBytes + f,
                                Float.floatToFloat16(0.001f));
                    }
                }
                yield s;
            }
        };
    }
}
