package dev.slmops.model.engine;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufTensorNames;
import dev.slmops.model.format.gguf.LlamaQkPermutation;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * The weights of a GGUF file seen in Hugging Face names and layout: names go through
 * {@link GgufTensorNames}, Llama-family q/k rows are un-permuted and Gemma's stored (1 + w) norms become w.
 * Untransformed tensors stay slices of the mapped file; transformed ones are copied once into native memory
 * owned by this source.
 */
public final class GgufWeightSource implements WeightSource {
    private final GgufFile file;
    private final Arch arch;
    private final int heads;
    private final int kvHeads;
    private final Arena arena = Arena.ofShared();

    public GgufWeightSource(GgufFile file, Arch arch, int heads, int kvHeads) {
        this.file = file;
        this.arch = arch;
        this.heads = heads;
        this.kvHeads = kvHeads;
    }

    @Override
    public Optional<StoredTensor> find(String hfName) {
        Optional<GgufTensorNames.Resolved> r = GgufTensorNames.toGguf(arch, hfName);
        if (r.isEmpty() || !file.hasTensor(r.get().name())) return Optional.empty();
        StoredTensor t = file.tensor(r.get().name());
        return Optional.of(switch (r.get().mapping().transform()) {
            case NONE -> rename(t, hfName, t.data());
            case PERMUTE_Q -> unpermute(t, hfName, heads);
            case PERMUTE_K -> unpermute(t, hfName, kvHeads);
            case ADD_ONE -> minusOne(t, hfName);
        });
    }

    private static StoredTensor rename(StoredTensor t, String name, MemorySegment data) {
        return new StoredTensor(name, t.dtype(), t.shape(), data);
    }

    private StoredTensor unpermute(StoredTensor t, String name, int nHead) {
        long rows = t.dim(0);
        long rowBytes = t.dtype().bytesFor(t.dim(1));
        MemorySegment dst = arena.allocate(t.byteSize(), 64);
        LlamaQkPermutation.ggufToHf(t.data(), dst, rows, rowBytes, nHead);
        return rename(t, name, dst);
    }

    /** llama.cpp's converter stores Gemma norms as 1 + w; the engine applies (1 + w) itself. */
    private StoredTensor minusOne(StoredTensor t, String name) {
        int n = Math.toIntExact(t.elementCount());
        float[] w = new float[n];
        Dequantize.toFloat(t.dtype(), t.data(), 0, w, 0, n);
        MemorySegment dst = arena.allocate((long) n * 4, 64);
        for (int i = 0; i < n; i++) dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i] - 1f);
        return new StoredTensor(name, DType.F32, t.shape(), dst);
    }

    @Override
    public String describe() {
        return file.source();
    }

    @Override
    public void close() {
        arena.close();
        file.close();
    }
}
