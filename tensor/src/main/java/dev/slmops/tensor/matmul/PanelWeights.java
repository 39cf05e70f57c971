package dev.slmops.tensor.matmul;

import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.tensor.quant.FloatConversions;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * F32, F16 and BF16 weights as NR-wide panels (NR = 4 vectors): W[n][k] sits at {@code ((n/NR) * K + k) * NR + n%NR},
 * the last panel zero-padded. The decode GEMV streams each panel front to back (broadcast x[k], 4 FMAs into NR
 * outputs, no horizontal sums), and GEMM uses an F32 panel slab in place (F16/BF16 are widened a [KC][NR] slab at a
 * time). Re-laying F32 out costs a copy at load, but one layout then serves decode and prefill.
 * Half-precision weights stay 16-bit in memory: decode reads half the bytes.
 */
final class PanelWeights extends PackedWeights {
    private static final VectorSpecies<Float> F = VectorPath.F;
    private static final VectorSpecies<Short> S = VectorPath.S;
    private static final VectorSpecies<Integer> I = VectorPath.I;
    private static final int L = VectorPath.L;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int NR = MicroKernel.NR;

    /** F32 panels, or null. */
    private final float[] f32;
    /** F16 or BF16 bits in panels, or null. */
    private final short[] bits;

    private PanelWeights(DType dtype, int rows, int cols, float[] f32, short[] bits) {
        super(dtype, rows, cols);
        this.f32 = f32;
        this.bits = bits;
    }

    static PanelWeights from(DType type, MemorySegment src, long offset, int rows, int cols) {
        int panels = (rows + NR - 1) / NR;
        int size = Math.toIntExact((long) panels * cols * NR);
        ReadBehind behind = new ReadBehind(src, offset);
        if (type == DType.F32) {
            float[] w = new float[size];
            for (int n = 0; n < rows; n++) {
                long rowAt = offset + 4L * n * cols;
                behind.readUpTo(rowAt);
                int base = (n / NR) * cols * NR + n % NR;
                for (int k = 0; k < cols; k++) w[base + k * NR] = src.get(FLOAT, rowAt + 4L * k);
            }
            behind.finish(offset + 4L * rows * cols);
            return new PanelWeights(type, rows, cols, w, null);
        }
        short[] w = new short[size];
        for (int n = 0; n < rows; n++) {
            long rowAt = offset + 2L * n * cols;
            behind.readUpTo(rowAt);
            int base = (n / NR) * cols * NR + n % NR;
            for (int k = 0; k < cols; k++) {
                short h = src.get(HALF, rowAt + 2L * k);
                if (type == DType.F16 && (h & 0x7C00) == 0x7C00) {
                    throw new IllegalArgumentException("F16 weight [" + rows + ", " + cols + "] holds "
                            + Float.float16ToFloat(h) + " at row " + n + ", column " + k
                            + ": infinite or NaN weights mean a broken model file; re-export it");
                }
                w[base + k * NR] = h;
            }
        }
        behind.finish(offset + 2L * rows * cols);
        return new PanelWeights(type, rows, cols, null, w);
    }

    /** Widening F16/BF16 panels is vectorized and F32 needs none: GEMM wins from two rows on. */
    @Override
    int gemmMinRows() {
        return 2;
    }

    @Override
    PanelSlab slab(int p, int k0) {
        return f32 == null ? null : new PanelSlab(f32, (p * cols + k0) * NR);
    }

    @Override
    void panel(int p, int k0, int kc, float[] dst) {
        int base = (p * cols + k0) * NR;
        int len = kc * NR;
        if (f32 != null) {
            System.arraycopy(f32, base, dst, 0, len);
        } else if (VectorPath.ENABLED) {
            if (dtype == DType.F16) {
                for (int i = 0; i < len; i += L) f16ToFloat(ShortVector.fromArray(S, bits, base + i)).intoArray(dst, i);
            } else {
                for (int i = 0; i < len; i += L) bf16ToFloat(ShortVector.fromArray(S, bits, base + i)).intoArray(dst, i);
            }
        } else {
            for (int i = 0; i < len; i++) dst[i] = widen(bits[base + i]);
        }
    }

    private float widen(short h) {
        return dtype == DType.F16 ? Float.float16ToFloat(h) : FloatConversions.bf16ToF32(h);
    }

    /**
     * L finite IEEE halves to floats, exactly (subnormals included): the half, sign-extended to 32 bits and shifted
     * left by 13, has exponent and mantissa where a float's are and copies of the sign in bits 28..31; the mask keeps
     * the one in bit 31, and multiplying by 2^112 rebiases the exponent. Infinities and NaNs are refused at pack time.
     * (Three integer operations: this conversion is most of the F16 GEMV's work.)
     */
    static FloatVector f16ToFloat(ShortVector h) {
        IntVector v = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        IntVector bits = v.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF);
        return bits.reinterpretAsFloats().mul(0x1p112f);
    }

    /** L bfloat16s to floats (exact: they are the top halves). */
    static FloatVector bf16ToFloat(ShortVector h) {
        IntVector v = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    int gemvUnits() {
        return panels();
    }

    @Override
    int gemvMinUnitsPerTask() {
        return 2;
    }

    /** Panels [p0, p1): outputs [p0 * NR, min(p1 * NR, N)). */
    @Override
    void gemvRange(float[] x, int xOff, Object prep, float[] y, int yOff, int p0, int p1, boolean vector) {
        float[] tmp = null;
        for (int p = p0; p < p1; p++) {
            int n0 = p * NR;
            int width = Math.min(NR, rows - n0);
            boolean direct = width == NR;
            if (!direct && tmp == null) tmp = new float[NR];
            float[] out = direct ? y : tmp;
            int outOff = direct ? yOff + n0 : 0;
            int base = p * cols * NR;
            if (!vector) {
                gemvPanelScalar(x, xOff, base, out, outOff);
            } else if (f32 != null) {
                gemvPanelF32(f32, base, cols, x, xOff, out, outOff);
            } else if (dtype == DType.F16) {
                gemvPanelF16(bits, base, cols, x, xOff, out, outOff);
            } else {
                gemvPanelBf16(bits, base, cols, x, xOff, out, outOff);
            }
            if (!direct) System.arraycopy(tmp, 0, y, yOff + n0, width);
        }
    }

    private void gemvPanelScalar(float[] x, int xOff, int base, float[] out, int outOff) {
        float[] acc = new float[NR];
        for (int k = 0; k < cols; k++) {
            float xk = x[xOff + k];
            int o = base + k * NR;
            if (f32 != null) {
                for (int j = 0; j < NR; j++) acc[j] = Math.fma(f32[o + j], xk, acc[j]);
            } else {
                for (int j = 0; j < NR; j++) acc[j] = Math.fma(widen(bits[o + j]), xk, acc[j]);
            }
        }
        System.arraycopy(acc, 0, out, outOff, NR);
    }

    /** out[0..NR) = panel[K][NR]^T . x[K] for one F32 panel at {@code w[base..]}. */
    static void gemvPanelF32(float[] w, int base, int k, float[] x, int xOff, float[] out, int outOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, o = base; i < k; i++, o += NR) {
            FloatVector xv = FloatVector.broadcast(F, x[xOff + i]);
            a0 = FloatVector.fromArray(F, w, o).fma(xv, a0);
            a1 = FloatVector.fromArray(F, w, o + L).fma(xv, a1);
            a2 = FloatVector.fromArray(F, w, o + 2 * L).fma(xv, a2);
            a3 = FloatVector.fromArray(F, w, o + 3 * L).fma(xv, a3);
        }
        a0.intoArray(out, outOff); a1.intoArray(out, outOff + L);
        a2.intoArray(out, outOff + 2 * L); a3.intoArray(out, outOff + 3 * L);
    }

    static void gemvPanelF16(short[] w, int base, int k, float[] x, int xOff, float[] out, int outOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, o = base; i < k; i++, o += NR) {
            FloatVector xv = FloatVector.broadcast(F, x[xOff + i]);
            a0 = f16ToFloat(ShortVector.fromArray(S, w, o)).fma(xv, a0);
            a1 = f16ToFloat(ShortVector.fromArray(S, w, o + L)).fma(xv, a1);
            a2 = f16ToFloat(ShortVector.fromArray(S, w, o + 2 * L)).fma(xv, a2);
            a3 = f16ToFloat(ShortVector.fromArray(S, w, o + 3 * L)).fma(xv, a3);
        }
        a0.intoArray(out, outOff); a1.intoArray(out, outOff + L);
        a2.intoArray(out, outOff + 2 * L); a3.intoArray(out, outOff + 3 * L);
    }

    static void gemvPanelBf16(short[] w, int base, int k, float[] x, int xOff, float[] out, int outOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0, o = base; i < k; i++, o += NR) {
            FloatVector xv = FloatVector.broadcast(F, x[xOff + i]);
            a0 = bf16ToFloat(ShortVector.fromArray(S, w, o)).fma(xv, a0);
            a1 = bf16ToFloat(ShortVector.fromArray(S, w, o + L)).fma(xv, a1);
            a2 = bf16ToFloat(ShortVector.fromArray(S, w, o + 2 * L)).fma(xv, a2);
            a3 = bf16ToFloat(ShortVector.fromArray(S, w, o + 3 * L)).fma(xv, a3);
        }
        a0.intoArray(out, outOff); a1.intoArray(out, outOff + L);
        a2.intoArray(out, outOff + 2 * L); a3.intoArray(out, outOff + 3 * L);
    }
}
