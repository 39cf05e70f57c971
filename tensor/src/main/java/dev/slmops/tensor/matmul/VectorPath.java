package dev.slmops.tensor.matmul;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses, and the switch between the Vector API kernels and their scalar twins.
 *
 * <p>Kernels use the machine's preferred float shape: L = 16 lanes on AVX-512, 8 on AVX2. A species the CPU
 * lacks is not an error in Java but runs 100x slower in a software fallback, so nothing hard-codes 512 bits.
 * Narrower species (bytes, shorts, ints) have the same lane count L, for conversions lane by lane.
 *
 * <p>{@code -Dslmops.vector=false} runs every kernel's scalar path (for debugging, or to measure what the vector
 * path buys); it is also off where the preferred float vector has fewer than 8 lanes. Tests call both paths.
 */
public final class VectorPath {
    private VectorPath() {
    }

    /** Float vectors: the machine's preferred shape. */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Lanes per float vector. */
    public static final int L = F.length();
    /** Ints with L lanes (same shape as F). */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts with L lanes (half F's width). */
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(16 * L));
    /**
     * Bytes with L lanes (a quarter of F's width). With 128-bit vectors (NEON, SSE) L = 4 and no 32-bit shape
     * exists: then 64-bit bytes stand in, never used as the vector path is off there.
     */
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.max(64, 8 * L)));

    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("slmops.vector")) && L >= 8;

    /**
     * Whether a caller's request for the vector kernels ({@code vector}: tests and benchmarks ask for both paths) can
     * be honoured here: they need 8 float lanes or more (not 128-bit NEON or SSE), elsewhere the scalar twins run.
     */
    static boolean honoured(boolean vector) {
        return vector && ENABLED;
    }
}
