package dev.slmops.workflows.quantize;

import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufValueType;
import dev.slmops.model.format.gguf.GgufWriter;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.model.format.SafeFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix in llama.cpp's formats: for each matmul weight (by GGUF tensor name), the sum over the
 * calibration tokens of the squared activation entering each input column, and how many tokens were summed.
 * The quantizer's importance for column j is {@code sums[j] / counts}.
 *
 * <ul>
 *   <li>GGUF ({@code llama-imatrix}'s current format): tensors {@code <name>.in_sum2} (F32 [nMat][nCols]) and
 *       {@code <name>.counts} (F32 [nMat]), keys {@code imatrix.datasets}, {@code imatrix.chunk_count},
 *       {@code imatrix.chunk_size}.</li>
 *   <li>legacy {@code .dat}: int32 entry count; per entry int32 name length, name bytes, int32 ncall, int32 nval,
 *       float[nval] (stored as mean × ncall); then int32 chunk count and int32 length + dataset name.</li>
 * </ul>
 *
 * @param entries    tensor name -> sums and counts; sums [nMat × nCols], counts [nMat] (one matrix unless MoE)
 * @param chunkCount calibration chunks processed
 * @param chunkSize  tokens per chunk (0 when unknown, as in legacy files)
 */
public record Imatrix(Map<String, Entry> entries, int chunkCount, int chunkSize, List<String> datasets) {

    public record Entry(float[] sums, long[] counts) {
    }

    /** The importance weights of one tensor, [nMat × nCols], normalized as llama-quantize does; null when absent. */
    public float[] importance(String tensorName) {
        Entry e = entries.get(tensorName);
        if (e == null) return null;
        float[] w = new float[e.sums.length];
        int nMat = e.counts.length;
        int nCols = w.length / nMat;
        for (int m = 0; m < nMat; m++) {
            float count = (float) e.counts[m];
            for (int i = 0; i < nCols; i++) w[m * nCols + i] = count > 0f ? e.sums[m * nCols + i] / count : 1f;
        }
        return w;
    }

    /** Reads either format (GGUF when the file starts with GGUF's magic). */
    public static Imatrix read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException("imatrix file not found: " + path.toAbsolutePath() + " (make one with slmops imatrix)");
        }
        byte[] head = new byte[4];
        try (var in = Files.newInputStream(path)) {
            if (in.readNBytes(head, 0, 4) < 4) throw new IOException(path + " is too short to be an imatrix file");
        }
        if (ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt() == GgufFile.MAGIC) return readGguf(path);
        return readLegacy(path);
    }

    private static Imatrix readGguf(Path path) throws IOException {
        try (GgufFile g = GgufFile.open(path)) {
            Map<String, StoredTensor> sums = new TreeMap<>();
            Map<String, StoredTensor> counts = new TreeMap<>();
            for (StoredTensor t : g.tensors()) {
                if (t.name().endsWith(".in_sum2")) sums.put(t.name().substring(0, t.name().length() - 8), t);
                else if (t.name().endsWith(".counts")) counts.put(t.name().substring(0, t.name().length() - 7), t);
            }
            if (sums.isEmpty()) throw new ModelFileException(path.toString(), "no <tensor>.in_sum2 entries: not an imatrix file");
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (var e : sums.entrySet()) {
                StoredTensor c = counts.get(e.getKey());
                if (c == null) throw new ModelFileException(path.toString(), e.getKey() + ".in_sum2 has no matching .counts tensor");
                float[] s = floats(e.getValue());
                float[] cf = floats(c);
                long[] cl = new long[cf.length];
                for (int i = 0; i < cf.length; i++) cl[i] = Math.round(cf[i]);
                if (cl.length == 0 || s.length % cl.length != 0) {
                    throw new ModelFileException(path.toString(), e.getKey() + " has " + s.length + " sums for " + cl.length + " counts");
                }
                entries.put(e.getKey(), new Entry(s, cl));
            }
            Map<String, Object> m = g.metadata();
            List<String> datasets = new ArrayList<>();
            if (m.get("imatrix.datasets") instanceof List<?> l) l.forEach(o -> datasets.add(String.valueOf(o)));
            int chunkCount = m.get("imatrix.chunk_count") instanceof Number n ? n.intValue() : 0;
            int chunkSize = m.get("imatrix.chunk_size") instanceof Number n ? n.intValue() : 0;
            return new Imatrix(entries, chunkCount, chunkSize, datasets);
        }
    }

    private static float[] floats(StoredTensor t) {
        int n = Math.toIntExact(t.elementCount());
        float[] v = new float[n];
        Dequantize.toFloat(t.dtype(), t.data(), 0, v, 0, n);
        return v;
    }

    private static Imatrix readLegacy(Path path) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            int n = b.getInt();
            if (n < 1) throw new ModelFileException(path.toString(), "legacy imatrix with " + n + " entries");
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new ModelFileException(path.toString(), "entry " + i + " has a bad name length " + len);
                byte[] name = new byte[len];
                b.get(name);
                int ncall = b.getInt();
                int nval = b.getInt();
                if (nval < 1 || 4L * nval > b.remaining()) throw new ModelFileException(path.toString(), "entry " + i + " has a bad value count " + nval);
                float[] stored = new float[nval];
                b.asFloatBuffer().get(stored);
                b.position(b.position() + 4 * nval);
                // stored values are mean × ncall, i.e. sums when counts = ncall
                entries.put(new String(name, StandardCharsets.UTF_8), new Entry(stored, new long[]{ncall}));
            }
            int chunks = 0;
            List<String> datasets = new ArrayList<>();
            if (b.remaining() >= 4) {
                chunks = b.getInt();
                if (b.remaining() >= 4) {
                    int len = b.getInt();
                    if (len > 0 && len <= b.remaining()) {
                        byte[] d = new byte[len];
                        b.get(d);
                        datasets.add(new String(d, StandardCharsets.UTF_8));
                    }
                }
            }
            return new Imatrix(entries, chunks, 0, datasets);
        } catch (java.nio.BufferUnderflowException e) {
            throw new ModelFileException(path.toString(), "ends early: not a llama.cpp imatrix (.dat or .gguf) file");
        }
    }

    /** Writes GGUF when the name ends in .gguf, else the legacy .dat format; atomically. */
    public void write(Path target) throws IOException {
        if (target.getFileName().toString().endsWith(".gguf")) writeGguf(target);
        else writeLegacy(target);
    }

    private void writeGguf(Path target) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.type", "imatrix")
                .putArray("imatrix.datasets", GgufValueType.STRING, datasets)
                .putUint32("imatrix.chunk_count", chunkCount)
                .putUint32("imatrix.chunk_size", chunkSize);
        for (var e : entries.entrySet()) {
            Entry v = e.getValue();
            int nMat = v.counts.length;
            float[] c = new float[nMat];
            for (int i = 0; i < nMat; i++) c[i] = v.counts[i];
            w.addTensor(e.getKey() + ".in_sum2", DType.F32, new long[]{nMat, v.sums.length / nMat}, TensorBytes.ofFloats(v.sums, DType.F32));
            w.addTensor(e.getKey() + ".counts", DType.F32, new long[]{nMat, 1}, TensorBytes.ofFloats(c, DType.F32));
        }
        w.write(target);
    }

    private void writeLegacy(Path target) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b4 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        java.util.function.IntConsumer i32 = v -> out.write(b4.clear().putInt(v).array(), 0, 4);
        i32.accept(entries.size());
        for (var e : entries.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            i32.accept(name.length);
            out.write(name, 0, name.length);
            Entry v = e.getValue();
            if (v.counts.length != 1) throw new IllegalArgumentException("the legacy imatrix format holds one matrix per tensor; "
                    + e.getKey() + " has " + v.counts.length + ": write .gguf instead");
            i32.accept((int) v.counts[0]);
            i32.accept(v.sums.length);
            for (float f : v.sums) i32.accept(Float.floatToRawIntBits(f));
        }
        i32.accept(chunkCount);
        byte[] d = (datasets.isEmpty() ? "" : datasets.get(0)).getBytes(StandardCharsets.UTF_8);
        i32.accept(d.length);
        out.write(d, 0, d.length);
        SafeFiles.writeAtomically(target, out.toByteArray());
    }
}
