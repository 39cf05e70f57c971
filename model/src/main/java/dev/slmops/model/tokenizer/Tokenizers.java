package dev.slmops.model.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Makes {@link Tokenizer}s from a Hugging Face model's files or a GGUF file's metadata. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * From {@code tokenizer.json} and, when not null, {@code tokenizer_config.json} (special token names,
     * add_bos_token / add_eos_token). A {@code generation_config.json} beside the tokenizer.json adds its
     * eos_token_id(s) to the EOS set.
     *
     * @throws TokenizerFormatException when a file is missing, not JSON, or uses a component this project
     *                                  does not implement (the message names it and lists what is supported)
     */
    public static Tokenizer fromHfFiles(Path tokenizerJson, Path tokenizerConfigOrNull) {
        Path generation = tokenizerJson.resolveSibling("generation_config.json");
        return HfTokenizerJson.load(tokenizerJson, tokenizerConfigOrNull,
                Files.isRegularFile(generation) ? generation : null);
    }

    /** From a Hugging Face model directory holding tokenizer.json (and usually tokenizer_config.json). */
    public static Tokenizer fromHfDir(Path dir) {
        Path json = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new TokenizerFormatException(dir + " has no tokenizer.json: expected a Hugging Face model "
                    + "directory (tokenizer.model-only SentencePiece directories are not supported; convert with "
                    + "transformers or use the model's GGUF file)");
        }
        Path config = dir.resolve("tokenizer_config.json");
        return fromHfFiles(json, Files.isRegularFile(config) ? config : null);
    }

    /**
     * From GGUF metadata ({@code tokenizer.ggml.*}), values as plain Java: integers Long, float32 Float,
     * float64 Double, booleans Boolean, strings String, arrays {@link java.util.List}. Tokenizes as llama.cpp
     * does, except that added/special tokens in the text are always recognised (llama.cpp: parse_special).
     */
    public static Tokenizer fromGgufMetadata(Map<String, Object> metadata) {
        return GgufTokenizer.fromMetadata(metadata);
    }
}
