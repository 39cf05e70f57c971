package dev.slmops.workflows.quantize;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.format.gguf.GgufWriter;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.tensor.quant.Quantize;
import dev.slmops.workflows.merge.AdapterMerge;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code slmops quantize}: a model (GGUF, or a Hugging Face directory, converted first) to a GGUF of one of
 * llama.cpp's file types, with llama.cpp's per-tensor type choices ({@link TensorTypeRules}), tensor order and
 * metadata, and ggml's quantizers ({@link Quantize#rows}) so the tensor bytes match llama-quantize's.
 *
 * <p>Streaming: tensors are read from the memory-mapped source and written one at a time, each in slabs of rows
 * ({@link #SLAB_FLOATS} values), so memory stays at a few slabs whatever the model size. Rows of a slab are
 * quantized on {@code threads} threads. The output appears atomically (temp file + rename) and is never written
 * over an existing file without {@code force}.
 */
public final class Quantizer {
    private Quantizer() {
    }

    /** llama.cpp's GGML_QNT_VERSION, stored as general.quantization_version. */
    static final int QUANTIZATION_VERSION = 2;
    /** Floats dequantized at once per tensor (16 MiB of F32). */
    static final int SLAB_FLOATS = 4 << 20;

    /**
     * @param model   a .gguf file or a Hugging Face model directory
     * @param imatrix null, or an importance matrix file (llama.cpp's .gguf or .dat formats)
     * @param threads worker threads (>= 1)
     * @param adapter null, or a LoRA adapter (PEFT directory or GGUF LoRA file) merged into the model before quantizing
     */
    public record Options(Path model, QuantType type, Path output, boolean pure, Path imatrix, boolean force, int threads,
                          Path adapter) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }

        /** Without an adapter. */
        public Options(Path model, QuantType type, Path output, boolean pure, Path imatrix, boolean force, int threads) {
            this(model, type, output, pure, imatrix, force, threads, null);
        }
    }

    /** What happened to one tensor. */
    public record TensorResult(String name, long[] shape, DType from, DType to, long bytesIn, long bytesOut) {
    }

    /** The run: per-tensor results in file order, totals and speed (source bytes per second). */
    public record Result(Path output, List<TensorResult> tensors, long bytesIn, long bytesOut, double seconds) {
        /** Source megabytes (10^6) quantized per second. */
        public double megabytesPerSecond() {
            return bytesIn / 1e6 / Math.max(seconds, 1e-9);
        }
    }

    /** Receives console lines (warnings, fallbacks) and per-tensor progress. */
    public interface Listener {
        void message(String line);

        /** Called after tensor {@code index} (1-based) of {@code count} is written. */
        default void progress(int index, int count, TensorResult tensor, double secondsSoFar) {
        }

        Listener SILENT = line -> { };
    }

    public static Result quantize(Options o, Listener listener) throws IOException {
        Path out = o.output().toAbsolutePath();
        if (Files.exists(out) && !o.force()) {
            throw new IOException(out + " already exists; pass --force to replace it");
        }
        if (Files.isDirectory(out)) throw new IOException(out + " is a directory; give a .gguf file path");
        if (out.getParent() != null && !Files.isDirectory(out.getParent())) {
            throw new IOException("output directory " + out.getParent() + " does not exist");
        }
        if (!Files.exists(o.model())) {
            throw new IOException("model not found: " + o.model().toAbsolutePath() + " (expected a .gguf file or a Hugging Face model directory)");
        }
        if (o.adapter() != null && !Files.exists(o.adapter())) {
            throw new IOException("adapter not found: " + o.adapter().toAbsolutePath()
                    + " (expected a PEFT adapter directory or a GGUF LoRA file)");
        }
        Imatrix imatrix = o.imatrix() == null ? null : Imatrix.read(o.imatrix());
        long start = System.nanoTime();
        Path tempGguf = null;
        try {
            Path gguf = o.model();
            if (o.adapter() != null) { // merge streams row by row into a temporary F32 GGUF, which is then quantized
                tempGguf = out.resolveSibling("." + out.getFileName() + ".merged-f32.gguf");
                listener.message("merging the adapter " + o.adapter() + " into " + gguf + " (temporary F32 GGUF) first");
                AdapterMerge.merge(gguf, o.adapter(), tempGguf, DType.F32, AdapterMerge.Format.GGUF, true,
                        w -> listener.message("warning: " + w));
                gguf = tempGguf;
            } else if (Files.isDirectory(gguf)) {
                tempGguf = out.resolveSibling("." + out.getFileName() + ".source-f32.gguf");
                listener.message("converting the Hugging Face directory " + gguf + " to a temporary F32 GGUF first");
                try (ModelFiles files = ModelFiles.open(gguf)) {
                    GgufExport.write(files, DType.F32, tempGguf, w -> listener.message("warning: " + w));
                }
                gguf = tempGguf;
            }
            try (GgufFile src = GgufFile.open(gguf)) {
                return quantize(src, o, imatrix, out, listener, start);
            }
        } finally {
            if (tempGguf != null) Files.deleteIfExists(tempGguf);
        }
    }

    private static Result quantize(GgufFile src, Options o, Imatrix imatrix, Path out, Listener listener, long start) throws IOException {
        List<StoredTensor> tensors = new ArrayList<>(src.tensors());
        tensors.sort(Comparator.comparing(StoredTensor::name, TensorTypeRules.LLAMA_ORDER));
        List<TensorTypeRules.TensorInfo> infos = tensors.stream().map(t -> new TensorTypeRules.TensorInfo(t.name(), ne(t.shape()), t.dtype())).toList();
        Map<String, TensorTypeRules.Choice> plan = TensorTypeRules.plan(infos, o.type(), shape(src), o.pure(), imatrix != null);
        TensorTypeRules.reportFallbacks(plan, listener::message);
        long fallbacks = plan.values().stream().filter(c -> c.note() != null).count();
        if (fallbacks > 0) listener.message("warning: " + fallbacks + " of " + tensors.size() + " tensor(s) required fallback quantization");

        GgufWriter w = new GgufWriter().putAll(src);
        for (String key : List.of("split.no", "split.count", "split.tensors.count")) w.remove(key);
        w.remove(GgufKeys.QUANTIZATION_VERSION).putUint32(GgufKeys.QUANTIZATION_VERSION, QUANTIZATION_VERSION);
        w.remove(GgufKeys.FILE_TYPE).putUint32(GgufKeys.FILE_TYPE, o.type().ftype);
        if (imatrix != null) { // what llama-quantize records about the imatrix it used (its kv overrides, in its order)
            w.remove("quantize.imatrix.file").putString("quantize.imatrix.file", truncate(o.imatrix().toString()));
            if (!imatrix.datasets().isEmpty()) {
                w.remove("quantize.imatrix.dataset").putString("quantize.imatrix.dataset", truncate(imatrix.datasets().getFirst()));
            }
            w.remove("quantize.imatrix.entries_count").putUint32("quantize.imatrix.entries_count", imatrix.entries().size());
            if (imatrix.chunkCount() > 0) {
                w.remove("quantize.imatrix.chunks_count").putUint32("quantize.imatrix.chunks_count", imatrix.chunkCount());
            }
        }

        boolean warnedRequantize = false;
        List<TensorResult> results = new ArrayList<>();
        for (StoredTensor t : tensors) {
            DType to = plan.get(t.name()).type();
            if (to != t.dtype() && t.dtype().isQuantized() && !warnedRequantize) {
                listener.message("warning: " + src.source() + " is already quantized (" + t.name() + " is " + t.dtype()
                        + "); re-quantizing loses more quality than quantizing the F16/BF16/F32 original");
                warnedRequantize = true;
            }
            float[] importance = null;
            if (imatrix != null && to != t.dtype()) {
                importance = imatrix.importance(t.name());
                long cols = t.shape()[t.rank() - 1];
                if (importance == null) {
                    if (to.isQuantized()) listener.message("warning: the imatrix has no entry for " + t.name());
                } else if (importance.length != cols) {
                    if (!t.name().equals("token_embd.weight")) {
                        throw new IOException("imatrix entry for " + t.name() + " has " + importance.length + " values but the tensor has "
                                + cols + " columns: the imatrix was made for another model");
                    }
                    importance = null;
                }
            }
            long bytesOut = to.bytesFor(t.elementCount());
            results.add(new TensorResult(t.name(), t.shape(), t.dtype(), to, t.byteSize(), bytesOut));
            TensorBytes bytes = to == t.dtype() ? TensorBytes.of(t) : converting(t, to, importance, o.threads());
            int index = results.size();
            TensorResult r = results.getLast();
            w.addTensor(t.name(), to, t.shape(), channel -> {
                bytes.writeTo(channel);
                listener.progress(index, tensors.size(), r, (System.nanoTime() - start) / 1e9);
            });
        }
        w.write(out);
        long in = results.stream().mapToLong(TensorResult::bytesIn).sum();
        long outBytes = results.stream().mapToLong(TensorResult::bytesOut).sum();
        return new Result(out, List.copyOf(results), in, outBytes, (System.nanoTime() - start) / 1e9);
    }

    /** llama-quantize keeps 127 bytes of a string kv override. */
    private static String truncate(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return b.length <= 127 ? s : new String(b, 0, 127, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** ggml's ne[]: innermost dimension first. */
    static long[] ne(long[] shape) {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        return ne;
    }

    private static TensorTypeRules.ModelShape shape(GgufFile g) {
        String a = g.architecture();
        Map<String, Object> m = g.metadata();
        return new TensorTypeRules.ModelShape(intKey(m, a + ".block_count"), intKey(m, a + ".attention.head_count"),
                intKey(m, a + ".attention.head_count_kv", intKey(m, a + ".attention.head_count")), intKey(m, a + ".expert_count"));
    }

    private static int intKey(Map<String, Object> m, String key) {
        return intKey(m, key, 0);
    }

    private static int intKey(Map<String, Object> m, String key, int absent) {
        Object v = m.get(key);
        if (v instanceof List<?> l && !l.isEmpty()) v = l.getFirst(); // per-layer arrays: layer 0, as n_gqa(0)
        return v instanceof Number n ? n.intValue() : absent;
    }

    /**
     * The tensor converted to {@code to}, rows dequantized to F32 slab by slab and quantized on {@code threads}
     * threads. Bytes come out in row order.
     */
    static TensorBytes converting(StoredTensor t, DType to, float[] importance, int threads) {
        long cols = t.rank() == 0 ? 1 : t.shape()[t.rank() - 1];
        long rows = t.elementCount() / Math.max(1, cols);
        int nPerRow = Math.toIntExact(cols);
        long srcRowBytes = t.dtype().bytesFor(cols);
        long dstRowBytes = to.bytesFor(cols);
        int slabRows = (int) Math.max(1, Math.min(rows, SLAB_FLOATS / Math.max(1, cols)));
        return (WritableByteChannel channel) -> {
            float[] f32 = new float[Math.toIntExact((long) slabRows * nPerRow)];
            byte[] q = new byte[Math.toIntExact(slabRows * dstRowBytes)];
            MemorySegment qs = MemorySegment.ofArray(q);
            ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
                Thread th = new Thread(r, "quantize");
                th.setDaemon(true);
                return th;
            }) : null;
            try {
                for (long r0 = 0; r0 < rows; r0 += slabRows) {
                    int n = (int) Math.min(slabRows, rows - r0);
                    Dequantize.toFloat(t.dtype(), t.data(), r0 * srcRowBytes, f32, 0, n * nPerRow);
                    if (pool == null) {
                        Quantize.rows(to, f32, 0, n, nPerRow, importance, qs, 0);
                    } else {
                        int per = Math.max(1, (n + threads - 1) / threads);
                        List<Future<?>> parts = new ArrayList<>();
                        for (int a = 0; a < n; a += per) {
                            int first = a, count = Math.min(per, n - a);
                            parts.add(pool.submit(() -> Quantize.rows(to, f32, first * nPerRow, count, nPerRow, importance, qs,
                                    first * dstRowBytes)));
                        }
                        for (Future<?> f : parts) {
                            try {
                                f.get();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new IOException("interrupted while quantizing " + t.name(), e);
                            } catch (java.util.concurrent.ExecutionException e) {
                                throw new IOException("quantizing " + t.name() + " to " + to + " failed: " + e.getCause(), e.getCause());
                            }
                        }
                    }
                    ByteBuffer buf = ByteBuffer.wrap(q, 0, Math.toIntExact(n * dstRowBytes));
                    while (buf.hasRemaining()) channel.write(buf);
                }
            } finally {
                if (pool != null) pool.shutdownNow();
            }
        };
    }
}
