package dev.slmops.tensor.quant;

import dev.slmops.tensor.DType;
import dev.slmops.testkit.ggml.GgmlQuants;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Quantize#rows} against ggml's {@code ggml_quantize_chunk} (libggml-base of llama.cpp, through FFM):
 * byte for byte, for every type we write, with and without an importance matrix, on thousands of rows mixing
 * Gaussian values with adversarial ones (zeros, constants, one spike, huge and tiny magnitudes, subnormals,
 * ±infinity and NaN) and importance vectors with zeros, spikes and all-zero entries.
 */
class QuantizeRowsGgmlParityTest {
    private static final int ROWS = 1200;

    /** One row of n values of a kind picked by {@code kind}; kinds 0..5 are plain data, the rest adversarial. */
    static float[] row(int n, int kind, Random rnd) {
        float[] v = new float[n];
        float scale = (float) Math.pow(10, rnd.nextInt(9) - 4);
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * scale;
        switch (kind) {
            case 6 -> Arrays.fill(v, 0f);
            case 7 -> Arrays.fill(v, rnd.nextBoolean() ? 0.37f : -2.5f);
            case 8 -> { Arrays.fill(v, 0f); v[rnd.nextInt(n)] = (float) rnd.nextGaussian() * 50; }
            case 9 -> { for (int i = 0; i < n; i++) v[i] *= 1e30f; }
            case 10 -> { for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian() * 1e-38f; } // subnormal-ish
            case 11 -> { for (int i = 0; i < n; i += 2) v[i] = 0f; } // half zeros
            case 12 -> { for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]); } // all positive (min > 0)
            case 13 -> { for (int i = 0; i < n; i++) v[i] = -Math.abs(v[i]); } // all negative
            case 14 -> v[rnd.nextInt(n)] = Float.NaN;
            case 15 -> v[rnd.nextInt(n)] = rnd.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            case 16 -> { for (int i = 0; i < n; i++) v[i] = (float) Math.rint(v[i] / scale * 3); } // integers, ties
            case 17 -> { for (int i = 0; i < n; i++) v[i] = i % 32 < 16 ? 0f : v[i]; } // zero sub-blocks
            default -> { }
        }
        return v;
    }

    static float[] importance(int n, Random rnd) {
        float[] w = new float[n];
        int kind = rnd.nextInt(5);
        for (int i = 0; i < n; i++) {
            w[i] = switch (kind) {
                case 0 -> 1f;
                case 1 -> (float) Math.abs(rnd.nextGaussian()) * 100;
                case 2 -> rnd.nextInt(4) == 0 ? 0f : (float) Math.exp(rnd.nextGaussian() * 3);
                case 3 -> i % 64 < 32 ? 0f : 1e-3f;
                default -> (float) rnd.nextDouble();
            };
        }
        return w;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void referenceQuantizersMatchGgmlByteForByte(DType type) {
        check(type, false);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void importanceWeightedSearchesMatchGgmlByteForByte(DType type) {
        check(type, true);
    }

    private static void check(DType type, boolean weighted) {
        Random rnd = new Random(1000L * type.ordinal() + (weighted ? 1 : 0));
        List<String> failures = new ArrayList<>();
        int perRowBlocks = type.blockSize == 256 ? 2 : 4;
        int n = perRowBlocks * type.blockSize;
        // rows go to ggml one call per kind group, so a whole "tensor" of rows is checked at once
        int kinds = 18;
        for (int kind = 0; kind < kinds; kind++) {
            int rows = kind < 6 ? ROWS / 12 : ROWS / 24;
            float[] src = new float[rows * n];
            for (int r = 0; r < rows; r++) System.arraycopy(row(n, kind, rnd), 0, src, r * n, n);
            float[] imp = weighted ? importance(n, rnd) : null;
            byte[] expected = GgmlQuants.quantize(type.ggmlType, src, rows, n, imp);
            MemorySegment ours = MemorySegment.ofArray(new byte[expected.length]);
            Quantize.rows(type, src, 0, rows, n, imp, ours, 0);
            byte[] got = ours.toArray(ValueLayout.JAVA_BYTE);
            if (!Arrays.equals(expected, got)) {
                int at = Arrays.mismatch(expected, got);
                failures.add("kind " + kind + ": first difference at byte " + at + " (block " + at / type.blockBytes
                        + ", offset " + at % type.blockBytes + "): ggml " + (expected[at] & 0xFF) + ", ours " + (got[at] & 0xFF));
            }
        }
        if (!failures.isEmpty()) fail(type + (weighted ? " with importance" : "") + " differs from ggml:\n" + String.join("\n", failures));
    }
}
