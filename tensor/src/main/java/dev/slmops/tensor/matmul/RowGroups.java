package dev.slmops.tensor.matmul;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the row-interleaved int8 GEMV layouts ({@link NibbleGroups}, {@link Q8Groups}): rows in
 * groups of G, one int lane per row, so one pass computes G outputs with no horizontal sum per row and each
 * activation quant pair is broadcast once for G rows. A chunk holds one (row, parity) pair of quants per row: 2G
 * bytes, widened to 2G short lanes.
 */
final class RowGroups {
    private RowGroups() {
    }

    /**
     * Rows per group: the int lanes of the widest vector, 8 on AVX2, 16 on AVX-512 (a chunk is then 32 bytes, widened
     * to 32 shorts: twice the weights per instruction; {@code -Dslmops.nibbleRows16=false} keeps 8). One thread, Zen 5,
     * ns per weight: Q4_0 4864x896 0.032 -> 0.017, Q5_0 0.049 -> 0.034, Q4_K 896x4864 0.040 -> 0.028.
     */
    static final int G = !"false".equals(System.getProperty("slmops.nibbleRows16"))
            && IntVector.SPECIES_PREFERRED.length() >= 16 ? 16 : 8;
    /** Bytes of one chunk: (row, parity) pairs. */
    static final int CHUNK = 2 * G;
    static final VectorSpecies<Byte> BG = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * CHUNK));
    static final VectorSpecies<Short> SG = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * CHUNK));
    static final VectorSpecies<Integer> IG = VectorSpecies.of(int.class, VectorShape.forBitSize(32 * G));
    static final VectorSpecies<Float> FG = VectorSpecies.of(float.class, VectorShape.forBitSize(32 * G));
    /** G F16 scales. */
    static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * G));
    /**
     * F16 to float in a vector: a half h sign-extended to an int, shifted left 13, keeps its sign at bit 31 and its
     * exponent and mantissa at bits 27..13 under this mask; read as a float that is h * 2^-112 (subnormals too), so
     * a multiply by {@link #HALF_SCALE} gives h exactly (finite halves only: layouts keep floats otherwise).
     */
    static final int HALF_BITS = 0x8FFF_E000;
    static final float HALF_SCALE = 0x1p112f;

    /** Whether every value is a finite half (the kernels' widening is exact for those only). */
    static boolean allFinite(short[] halves) {
        for (short h : halves) if ((h & 0x7C00) == 0x7C00) return false;
        return true;
    }

    /**
     * The activation quants as (xq[2i], xq[2i+1]) pairs in one int each, for broadcasting: a short pair read as one
     * little-endian int.
     */
    static int[] pairs(short[] q) {
        int[] pairs = new int[q.length / 2];
        if (VectorPath.ENABLED) {
            for (int i = 0; i < q.length; i += VectorPath.L) {
                ShortVector.fromArray(VectorPath.S, q, i).reinterpretAsInts().intoArray(pairs, i / 2);
            }
        } else {
            for (int i = 0; i < pairs.length; i++) pairs[i] = (q[2 * i] & 0xFFFF) | (q[2 * i + 1] << 16);
        }
        return pairs;
    }

    /** x rounded to int8 for one of these layouts, and its quants as {@link #pairs}. */
    record Prep(Int8Activations xq, int[] pairs) {
    }

    /** (xq[2i], xq[2i+1]) in every pair of short lanes. */
    static ShortVector pair(int[] pairs, int i) {
        return IntVector.broadcast(IG, pairs[i]).reinterpretAsShorts();
    }
}
