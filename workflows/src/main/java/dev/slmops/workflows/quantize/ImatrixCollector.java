package dev.slmops.workflows.quantize;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.engine.Transformer;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.workflows.text.TextFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code slmops imatrix}: llama-imatrix's statistics with our engine. The calibration text is tokenized once
 * (with BOS), cut into chunks of {@code ctx} tokens (each starting with BOS, each in a fresh KV cache), and for
 * every matmul weight we sum, per input column j, {@code x[j]²} over every token of every chunk, and count the
 * tokens. The quantizer's importance for column j is then {@code sum[j] / count}: the mean squared activation
 * that meets that weight column, which is what the importance-weighted K-quant search minimizes against.
 *
 * <p>As llama-imatrix by default, the output (lm head) matrix is left out.
 */
public final class ImatrixCollector implements Transformer.MatmulInputObserver {
    private final Map<String, float[]> sums = new LinkedHashMap<>();
    private final Map<String, long[]> counts = new LinkedHashMap<>();
    private final boolean fusedQkv;
    private final boolean fusedGateUp;

    /** @param arch the model's architecture: Phi-3 files hold fused attn_qkv and gate+up in ffn_up */
    public ImatrixCollector(Arch arch) {
        this.fusedQkv = arch == Arch.PHI3;
        this.fusedGateUp = arch == Arch.PHI3;
    }

    /** The GGUF weights that read a matmul input. */
    List<String> readers(int layer, Transformer.MatmulInput role) {
        String b = "blk." + layer + ".";
        return switch (role) {
            case ATTN_IN -> fusedQkv ? List.of(b + "attn_qkv.weight")
                    : List.of(b + "attn_q.weight", b + "attn_k.weight", b + "attn_v.weight");
            case ATTN_OUT -> List.of(b + "attn_output.weight");
            case FFN_IN -> fusedGateUp ? List.of(b + "ffn_up.weight") : List.of(b + "ffn_gate.weight", b + "ffn_up.weight");
            case FFN_DOWN_IN -> List.of(b + "ffn_down.weight");
            case OUTPUT_IN -> List.of();
        };
    }

    @Override
    public void seen(int layer, Transformer.MatmulInput role, float[] input, int rows, int cols) {
        List<String> names = readers(layer, role);
        if (names.isEmpty()) return;
        float[] s = sums.computeIfAbsent(names.getFirst(), k -> new float[cols]);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int j = 0; j < cols; j++) s[j] += input[o + j] * input[o + j];
        }
        counts.computeIfAbsent(names.getFirst(), k -> new long[1])[0] += rows;
        // tensors reading the same input share the statistics (llama-imatrix records each; the values are equal)
        for (int i = 1; i < names.size(); i++) {
            sums.put(names.get(i), s);
            counts.put(names.get(i), counts.get(names.getFirst()));
        }
    }

    /** The statistics so far as an {@link Imatrix}. */
    public Imatrix result(int chunkCount, int chunkSize, String dataset) {
        Map<String, Imatrix.Entry> e = new LinkedHashMap<>();
        for (var s : sums.entrySet()) e.put(s.getKey(), new Imatrix.Entry(s.getValue().clone(), counts.get(s.getKey()).clone()));
        return new Imatrix(e, chunkCount, chunkSize, dataset == null ? List.of() : List.of(dataset));
    }

    /** Progress of {@link #compute}: chunk i of n done. */
    public interface Progress {
        void chunk(int done, int total);
    }

    /**
     * Runs the model over {@code text} in chunks of {@code ctx} tokens and returns the importance matrix.
     *
     * @param maxChunks 0 for all chunks the text has
     */
    public static Imatrix compute(LoadedModel model, Path text, int ctx, int maxChunks, Progress progress) throws IOException {
        if (ctx < 2) throw new IllegalArgumentException("--ctx must be at least 2, got " + ctx);
        if (ctx > model.contextLength()) {
            throw new IllegalArgumentException("--ctx " + ctx + " exceeds the context this model was loaded with (" + model.contextLength() + ")");
        }
        String calibration = TextFiles.readUtf8(text, "calibration text");
        Tokenizer tok = model.tokenizer();
        int[] tokens = tok.encode(calibration, true);
        int nChunks = tokens.length / ctx;
        if (maxChunks > 0) nChunks = Math.min(nChunks, maxChunks);
        if (nChunks == 0) {
            throw new IllegalArgumentException(text + " has " + tokens.length + " tokens: at least --ctx " + ctx
                    + " are needed for one chunk (give more text or a smaller --ctx)");
        }
        ImatrixCollector c = new ImatrixCollector(model.config().arch());
        Transformer tr = model.transformer();
        int bos = tokens.length > 0 ? tokens[0] : 0;
        boolean hasBos = tokens.length > 0 && tok.encode("", true).length > 0;
        tr.observeMatmulInputs(c);
        try {
            for (int i = 0; i < nChunks; i++) {
                int[] chunk = java.util.Arrays.copyOfRange(tokens, i * ctx, (i + 1) * ctx);
                if (hasBos) chunk[0] = bos; // as llama-imatrix: every chunk starts with BOS
                tr.forward(model.newCache(), chunk, false);
                if (progress != null) progress.chunk(i + 1, nChunks);
            }
        } finally {
            tr.observeMatmulInputs(null);
        }
        return c.result(nChunks, ctx, text.getFileName().toString());
    }
}
