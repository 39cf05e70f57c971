package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;

import java.lang.foreign.MemorySegment;

/**
 * The row permutation llama.cpp's converter applies to Llama-family (arch "llama") attn_q and attn_k weights
 * and biases. HF stores each head's rows as [first half of the rotary pairs; second half] (rotate_half,
 * "NEOX" style); llama.cpp's llama graph rotates adjacent pairs, so the converter interleaves the halves.
 *
 * <p>For a tensor of {@code rows = nHead * headDim} rows (q: nHead = n_head; k: nHead = n_head_kv), with
 * {@code half = headDim / 2}, HF row {@code h*headDim + j*half + i} (j in {0,1}, i < half) becomes GGUF row
 * {@code h*headDim + 2*i + j}. Rows are moved whole, so this works on any dtype's bytes, quantized included
 * (a row is whole blocks).
 */
public final class LlamaQkPermutation {
    private LlamaQkPermutation() {
    }

    /** The GGUF row that HF row {@code hfRow} moves to. */
    public static long ggufRowOf(long hfRow, long rows, int nHead) {
        long headDim = headDim(rows, nHead);
        long half = headDim / 2;
        long h = hfRow / headDim, r = hfRow % headDim;
        long j = r / half, i = r % half;
        return h * headDim + 2 * i + j;
    }

    /** The HF row that GGUF row {@code ggufRow} came from (the inverse of {@link #ggufRowOf}). */
    public static long hfRowOf(long ggufRow, long rows, int nHead) {
        long headDim = headDim(rows, nHead);
        long half = headDim / 2;
        long h = ggufRow / headDim, r = ggufRow % headDim;
        long i = r / 2, j = r % 2;
        return h * headDim + j * half + i;
    }

    private static long headDim(long rows, int nHead) {
        if (nHead <= 0 || rows % nHead != 0 || (rows / nHead) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows do not split into " + nHead + " heads of an even size");
        }
        return rows / nHead;
    }

    /** Copies {@code src} (HF order) into {@code dst} (GGUF order); both hold {@code rows} rows of {@code rowBytes}. */
    public static void hfToGguf(MemorySegment src, MemorySegment dst, long rows, long rowBytes, int nHead) {
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(src, r * rowBytes, dst, ggufRowOf(r, rows, nHead) * rowBytes, rowBytes);
        }
    }

    /** Copies {@code src} (GGUF order) into {@code dst} (HF order). */
    public static void ggufToHf(MemorySegment src, MemorySegment dst, long rows, long rowBytes, int nHead) {
        for (long r = 0; r < rows; r++) {
            MemorySegment.copy(src, r * rowBytes, dst, hfRowOf(r, rows, nHead) * rowBytes, rowBytes);
        }
    }

    /**
     * Streams an HF q or k tensor (weight [rows, cols] or bias [rows]) in GGUF row order, converted to
     * {@code target} (F32/F16/BF16, or its own dtype for a raw copy): one row in memory at a time.
     */
    public static TensorBytes hfToGguf(StoredTensor hf, int nHead, DType target) {
        return permuted(hf, nHead, target, true);
    }

    /** Streams a GGUF attn_q/attn_k tensor back in HF row order (the loader's direction). */
    public static TensorBytes ggufToHf(StoredTensor gguf, int nHead, DType target) {
        return permuted(gguf, nHead, target, false);
    }

    private static TensorBytes permuted(StoredTensor t, int nHead, DType target, boolean toGguf) {
        long rows = t.dim(0);
        long rowElements = t.elementCount() / rows;
        DType from = t.dtype();
        boolean raw = from == target;
        if (!raw && (!FloatConversions.isConvertible(from) || !FloatConversions.isConvertible(target))) {
            throw new IllegalArgumentException("cannot convert " + t.name() + " from " + from + " to " + target);
        }
        headDim(rows, nHead);
        long srcRowBytes = from.bytesFor(rowElements);
        long dstRowBytes = target.bytesFor(rowElements);
        return out -> {
            MemorySegment row = MemorySegment.ofArray(new byte[Math.toIntExact(dstRowBytes)]);
            for (long r = 0; r < rows; r++) {
                long source = toGguf ? hfRowOf(r, rows, nHead) : ggufRowOf(r, rows, nHead);
                MemorySegment srcRow = t.data().asSlice(source * srcRowBytes, srcRowBytes);
                if (raw) {
                    MemorySegment.copy(srcRow, 0, row, 0, srcRowBytes);
                } else {
                    FloatConversions.convert(srcRow, from, row, target, rowElements);
                }
                TensorBytes.writeFully(row, out);
            }
        };
    }
}
