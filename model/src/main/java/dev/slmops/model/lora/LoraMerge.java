package dev.slmops.model.lora;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.FloatConversions;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Merging an adapter into base weights: {@code W' = W + scale * B·A}, one output row at a time (the merged matrix
 * is never held whole), so a merge streams straight into a writer.
 *
 * <pre>
 *   W [out, in] (any stored dtype)   A [r, in]   B [out, r]   row o of W' = W[o] + scale * sum_j B[o, j] A[j]
 * </pre>
 */
public final class LoraMerge {
    private LoraMerge() {
    }

    /** The merged tensor, streamed as {@code target} (F32, F16 or BF16) under the base tensor's name. */
    public static TensorToWrite merged(StoredTensor base, LoraWeights w, DType target) {
        if (base.rank() != 2 || base.dim(0) != w.out() || base.dim(1) != w.in()) {
            throw new IllegalArgumentException("cannot merge a LoRA of shape [" + w.out() + ", " + w.in() + "] into "
                    + base.name() + " of shape " + Arrays.toString(base.shape()) + " (is the adapter for another model?)");
        }
        if (!FloatConversions.isConvertible(target)) {
            throw new IllegalArgumentException("merged weights are written as F32, F16 or BF16, not " + target);
        }
        return new TensorToWrite(base.name(), target, base.shape(), out -> {
            int in = w.in(), r = w.r();
            float[] row = new float[in];
            float[] sb = new float[r];
            MemorySegment rowF32 = MemorySegment.ofArray(row);
            MemorySegment dst = MemorySegment.ofArray(new byte[Math.toIntExact(target.bytesFor(in))]);
            long rowBytes = base.dtype().bytesFor(in);
            for (int o = 0; o < w.out(); o++) {
                Dequantize.toFloat(base.dtype(), base.data(), o * rowBytes, row, 0, in);
                mergeRow(w, o, row, sb);
                for (int i = 0; i < in; i++) {
                    if (!Float.isFinite(row[i])) {
                        throw new ArithmeticException("merging the adapter into " + base.name() + " gave " + row[i]
                                + " at [" + o + ", " + i + "]: the adapter's weights are broken (NaN/inf or huge)");
                    }
                }
                if (target == DType.F32) {
                    TensorBytes.writeFully(rowF32, out);
                } else {
                    FloatConversions.convert(rowF32, DType.F32, dst, target, in);
                    TensorBytes.writeFully(dst, out);
                }
            }
        });
    }

    /** row[in] += scale * B[o, :] · A, accumulated in float like the engine's unmerged path. */
    static void mergeRow(LoraWeights w, int o, float[] row, float[] scratch) {
        int in = w.in(), r = w.r();
        for (int j = 0; j < r; j++) scratch[j] = w.scale() * w.b()[w.bOffset() + o * r + j];
        for (int j = 0; j < r; j++) {
            float s = scratch[j];
            int ao = w.aOffset() + j * in;
            for (int i = 0; i < in; i++) row[i] += s * w.a()[ao + i];
        }
    }
}
