package dev.slmops.tensor.matmul;

import jdk.incubator.vector.FloatVector;

/**
 * The switch between the Vector API kernels and their scalar twins. On by default where 512-bit float vectors
 * are available (AVX-512); {@code -Dslmops.vector=false} runs every kernel's scalar path (for debugging, or to
 * measure what the vector path buys). Tests call both paths directly.
 */
public final class VectorPath {
    private VectorPath() {
    }

    public static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("slmops.vector"))
            && FloatVector.SPECIES_PREFERRED.length() >= 16;
}
