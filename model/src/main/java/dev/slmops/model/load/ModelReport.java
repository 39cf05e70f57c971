package dev.slmops.model.load;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.tokenizer.SpecialTokens;
import dev.slmops.model.tokenizer.Tokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code slmops inspect} tells about a model: architecture and sizes, parameter count, tensor types,
 * tokenizer and chat template. A plain record so the CLI can print it as text or JSON.
 */
public record ModelReport(String path, String format, String architecture, long parameters, long tensorBytes,
                          Map<String, DTypeCount> dtypes, Hyper hyper, TokenizerInfo tokenizer, String chatTemplate,
                          List<TensorRow> tensors) {

    /** How many tensors and parameters are stored in one dtype. */
    public record DTypeCount(int tensors, long parameters, long bytes) {
    }

    public record Hyper(int contextLength, int layers, int hiddenSize, int intermediateSize, int heads, int kvHeads,
                        int headDim, int vocabSize, boolean tiedEmbeddings, String ropeScaling, int slidingWindow) {
    }

    /** @param error why the tokenizer could not be read (null when it was) */
    public record TokenizerInfo(String kind, int vocabSize, String bos, List<String> eos, String error) {
    }

    public record TensorRow(String name, String dtype, long[] shape, long bytes) {
    }

    public static ModelReport of(ModelFiles files) {
        ModelConfig c = files.config();
        long params = 0, bytes = 0;
        Map<String, DTypeCount> dtypes = new TreeMap<>();
        List<TensorRow> rows = new ArrayList<>();
        for (StoredTensor t : files.storedTensors()) {
            long n = t.elementCount();
            params += n;
            bytes += t.byteSize();
            dtypes.merge(t.dtype().name(), new DTypeCount(1, n, t.byteSize()),
                    (a, b) -> new DTypeCount(a.tensors + b.tensors, a.parameters + b.parameters, a.bytes + b.bytes));
            rows.add(new TensorRow(t.name(), t.dtype().name(), t.shape(), t.byteSize()));
        }
        Hyper hyper = new Hyper(c.contextLength(), c.numLayers(), c.hiddenSize(), c.intermediateSize(), c.numHeads(),
                c.numKvHeads(), c.headDim(), c.vocabSize(), c.tieEmbeddings(),
                c.ropeScaling() == null ? "none" : c.ropeScaling().type(), c.slidingWindow());
        TokenizerInfo tok;
        try {
            Tokenizer t = files.tokenizer();
            SpecialTokens s = t.specials();
            List<String> eos = Arrays.stream(s.eosIds()).mapToObj(id -> t.token(id) + " (" + id + ")").toList();
            tok = new TokenizerInfo(t.kind(), t.vocabSize(),
                    s.bos().isPresent() ? t.token(s.bos().getAsInt()) + " (" + s.bos().getAsInt() + ")" : "none", eos, null);
        } catch (IOException | RuntimeException e) {
            tok = new TokenizerInfo("none", 0, "none", List.of(), e.getMessage());
        }
        String template;
        try {
            var t = files.chatTemplate();
            template = t.isFallback() ? "none in the files: the ChatML fallback is used" : t.source();
        } catch (RuntimeException e) {
            template = "unreadable: " + e.getMessage();
        }
        return new ModelReport(files.path().toString(), files.format() == ModelFiles.Format.GGUF ? "gguf" : "hf-dir",
                c.arch().hfModelType, params, bytes, dtypes, hyper, tok, template, rows);
    }
}
