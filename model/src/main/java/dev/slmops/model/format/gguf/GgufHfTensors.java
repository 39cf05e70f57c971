package dev.slmops.model.format.gguf;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A GGUF file's tensors seen with Hugging Face names and in Hugging Face layout: the loader's side of
 * {@link GgufTensorNames}. Most tensors are the file's mapped slices under their HF names; those the converter
 * transformed are undone into memory owned by this object: Llama q/k rows un-permuted (same dtype), Gemma norm
 * weights turned back from (1 + w) into w (as F32). Generated tensors (rope_freqs, rope_factors_*) have no HF
 * name and are left out.
 */
public final class GgufHfTensors implements AutoCloseable {
    private final GgufFile file;
    private final Arch arch;
    private final Arena copies = Arena.ofShared();

    public GgufHfTensors(GgufFile file) throws ModelFileException {
        this.file = file;
        String name = file.architecture();
        try {
            this.arch = Arch.fromGgufName(name);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file.source(), "general.architecture is " + (name == null ? "missing" : "\"" + name + "\"")
                    + ": " + e.getMessage());
        }
    }

    public Arch arch() {
        return arch;
    }

    /** The HF names of every tensor the file has (generated ones excepted), in file order. */
    public List<String> hfNames() {
        List<String> out = new ArrayList<>();
        for (StoredTensor t : file.tensors()) GgufTensorNames.toHf(arch, t.name()).ifPresent(r -> out.add(r.name()));
        return out;
    }

    /** The tensor with this HF name in HF layout, or empty when the file has none. */
    public Optional<StoredTensor> find(String hfName) {
        Optional<GgufTensorNames.Resolved> r = GgufTensorNames.toGguf(arch, hfName);
        if (r.isEmpty() || !file.hasTensor(r.get().name())) return Optional.empty();
        StoredTensor t = file.tensor(r.get().name());
        return Optional.of(switch (r.get().mapping().transform()) {
            case NONE -> new StoredTensor(hfName, t.dtype(), t.shape(), t.data());
            case PERMUTE_Q -> unpermuted(hfName, t, headCount("attention.head_count"));
            case PERMUTE_K -> unpermuted(hfName, t, headCount("attention.head_count_kv"));
            case ADD_ONE -> minusOne(hfName, t);
        });
    }

    private int headCount(String key) {
        Object v = file.metadata().get(arch.ggufName + "." + key);
        if (!(v instanceof Long l) || l <= 0 || l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(file.source() + ": " + arch.ggufName + "." + key + " is " + v
                    + ", needed to undo the q/k row permutation");
        }
        return (int) (long) l;
    }

    private StoredTensor unpermuted(String hfName, StoredTensor t, int nHead) {
        long rows = t.dim(0);
        long rowBytes = t.byteSize() / rows;
        // On the heap: the copy (a whole q or k matrix) is garbage once the caller drops it, which the engine does
        // right after repacking it; a native copy would live as long as the file (or, in an automatic arena, until
        // a GC notices, which loading large arrays straight into the old generation postpones).
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(t.byteSize())]);
        LlamaQkPermutation.ggufToHf(t.data(), out, rows, rowBytes, nHead);
        return new StoredTensor(hfName, t.dtype(), t.shape(), out);
    }

    private StoredTensor minusOne(String hfName, StoredTensor t) {
        if (!FloatConversions.isConvertible(t.dtype())) {
            throw new IllegalArgumentException(file.source() + ": norm " + t.name() + " is " + t.dtype() + ", expected a float type");
        }
        long n = t.elementCount();
        MemorySegment out = copies.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) FloatConversions.write(DType.F32, out, i, FloatConversions.read(t.dtype(), t.data(), i) - 1f);
        return new StoredTensor(hfName, DType.F32, t.shape(), out);
    }

    /** Frees the undone copies; the GgufFile stays open (its owner closes it). */
    @Override
    public void close() {
        copies.close();
    }
}
