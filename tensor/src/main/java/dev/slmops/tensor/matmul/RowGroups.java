package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row-interleaved int8 GEMV layouts ({@link NibbleGroups}, {@link Q8Groups}, {@link Q6Groups}): rows in groups of
 * G, one int lane per row, so one pass computes G outputs with no horizontal sum per row and each activation quant
 * pair is broadcast once for G rows. A chunk holds one (row, parity) pair of quants per row: 2G bytes, widened to 2G
 * short lanes. Here: their vector shapes, and the GEMV's frame (x rounded to int8 once, a group per unit of work).
 */
abstract sealed class RowGroups extends PackedWeights permits NibbleGroups, Q8Groups, Q6Groups {
    RowGroups(DType type, int rows, int cols) {
        super(type, rows, cols);
    }

    /** Whether these layouts serve their types here: the int8 GEMVs are asked for and on. */
    static boolean applies(boolean int8) {
        return int8 && Int8Activations.ENABLED;
    }

    @Override
    final boolean roundsToInt8() {
        return true;
    }

    @Override
    final Object gemvPrepare(float[] x, int xOff) {
        Int8Activations xq = Int8Activations.quantize(x, xOff, cols, dtype);
        return new Prep(xq, pairs(xq.q()));
    }

    @Override
    final int gemvUnits() {
        return (rows + G - 1) / G;
    }

    @Override
    final int gemvMinUnitsPerTask() {
        return 2;
    }

    @Override
    final void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int g0, int g1, boolean vector) {
        Prep p = (Prep) prep;
        float[] out = new float[G];
        for (int g = g0; g < g1; g++) {
            groupDot(g, p, vector, out);
            System.arraycopy(out, 0, y, yOff + G * g, Math.min(G, rows - G * g));
        }
    }

    /** out[r] = row Gg + r . x for the G rows of group g: the vector kernel, or its scalar reference (same bits). */
    abstract void groupDot(int g, Prep x, boolean vector, float[] out);

    /** F32 panel dst[kc][NR] of rows NR*p.. over k0..k0+kc: each group's G columns, zeros past the last row. */
    @Override
    final void panel(int p, int k0, int kc, float[] dst) {
        int nr = MicroKernel.NR;
        for (int column = 0; column < nr; column += G) {
            int g = (p * nr + column) / G;
            if (g * G < rows) {
                groupPanel(g, k0, kc, dst, column);
            } else {
                for (int k = 0; k < kc; k++) java.util.Arrays.fill(dst, k * nr + column, k * nr + column + G, 0f);
            }
        }
    }

    /** Columns [column, column + G) of the panel dst[kc][NR]: group g's rows over k0..k0+kc (multiples of 32). */
    abstract void groupPanel(int g, int k0, int kc, float[] dst, int column);

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
