package dev.slmops.model.load;

import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.engine.GgufWeightSource;
import dev.slmops.model.engine.HfWeightSource;
import dev.slmops.model.engine.WeightSource;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufFile;
import dev.slmops.model.format.gguf.GgufKeys;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A model on disk, whichever format: a Hugging Face directory or a GGUF file. Everything above the file formats
 * (inspect, convert, the engine, training) opens models through this one door.
 */
public final class ModelFiles implements AutoCloseable {
    public enum Format { HF_DIR, GGUF }

    private final Path path;
    private final HfModelDir hf;
    private final GgufFile gguf;
    private final ModelConfig config;
    private Tokenizer tokenizer;
    private WeightSource weights;
    private ChatTemplate chatTemplate;

    private ModelFiles(Path path, HfModelDir hf, GgufFile gguf, ModelConfig config) {
        this.path = path;
        this.hf = hf;
        this.gguf = gguf;
        this.config = config;
    }

    /** Opens a Hugging Face model directory or a .gguf file; errors say which was expected. */
    public static ModelFiles open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            HfModelDir dir = HfModelDir.open(path);
            try {
                return new ModelFiles(path, dir, null, ModelConfig.fromHf(dir.config()));
            } catch (RuntimeException e) {
                dir.close();
                throw new ModelFileException(path, e.getMessage(), e);
            }
        }
        if (!Files.exists(path)) {
            throw new ModelFileException(path, "no such file or directory: expected a Hugging Face model directory or a .gguf file");
        }
        GgufFile file = GgufFile.open(path);
        try {
            return new ModelFiles(path, null, file, ModelConfig.fromGguf(file));
        } catch (RuntimeException e) {
            file.close();
            throw new ModelFileException(path, e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public Format format() {
        return hf != null ? Format.HF_DIR : Format.GGUF;
    }

    public ModelConfig config() {
        return config;
    }

    public Optional<HfModelDir> hf() {
        return Optional.ofNullable(hf);
    }

    public Optional<GgufFile> gguf() {
        return Optional.ofNullable(gguf);
    }

    /** The weights by Hugging Face name and layout (GGUF names mapped, transforms undone). */
    public synchronized WeightSource weights() throws ModelFileException {
        if (weights == null) weights = hf != null ? new HfWeightSource(hf) : new GgufWeightSource(gguf);
        return weights;
    }

    /** The tensors as the file names and stores them, in file order. */
    public List<StoredTensor> storedTensors() {
        if (gguf != null) return gguf.tensors();
        List<StoredTensor> out = new ArrayList<>();
        for (String name : hf.tensorNames()) out.add(hf.findTensor(name).orElseThrow());
        return out;
    }

    /** The tokenizer the files carry; a clear error when they carry none. */
    public synchronized Tokenizer tokenizer() throws ModelFileException {
        if (tokenizer == null) {
            try {
                if (hf != null) {
                    if (hf.tokenizerJson().isEmpty()) {
                        throw new ModelFileException(path, "model dir has no tokenizer.json: copy the tokenizer files "
                                + "of the model it was made from into it");
                    }
                    tokenizer = Tokenizers.fromHfFiles(hf.tokenizerJson().get(), hf.tokenizerConfigJson().orElse(null));
                } else {
                    if (!gguf.metadata().containsKey(GgufKeys.TOKENIZER_MODEL)) {
                        throw new ModelFileException(path, "GGUF file has no tokenizer (no tokenizer.ggml.model key)");
                    }
                    tokenizer = Tokenizers.fromGgufMetadata(gguf.metadata());
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new ModelFileException(path, "cannot read its tokenizer: " + e.getMessage(), e);
            }
        }
        return tokenizer;
    }

    /**
     * The chat template the files carry (chat_template.jinja, tokenizer_config.json's chat_template, or GGUF's
     * tokenizer.chat_template); the documented ChatML fallback when they carry none ({@link ChatTemplate#isFallback()}).
     */
    public synchronized ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            chatTemplate = hf != null ? ChatTemplate.fromModelDir(hf.dir()) : ChatTemplate.fromGgufMetadata(gguf.metadata());
        }
        return chatTemplate;
    }

    /**
     * Drops the pages of a mapped GGUF file from the resident set (they fault back in when read). Call it once the
     * weights have been repacked; a Hugging Face directory keeps its mappings as they are.
     */
    public void releaseResidentPages() {
        if (gguf != null) gguf.releaseResidentPages();
    }

    @Override
    public void close() {
        if (weights != null) weights.close();
        else if (hf != null) hf.close();
        else gguf.close();
    }
}
