package dev.slmops.model.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.safetensors.SafetensorsIndex;
import dev.slmops.model.format.safetensors.SafetensorsShards;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face model directory, opened: config.json (typed), the safetensors weights (one file or shards
 * through model.safetensors.index.json, all memory-mapped) and the tokenizer/generation files when present.
 * <pre>
 *   config.json                     required
 *   model.safetensors               or model.safetensors.index.json + model-0000N-of-0000M.safetensors
 *   tokenizer.json                  path exposed (the tokenizer reads it)
 *   tokenizer_config.json           parsed (chat_template, special tokens)
 *   generation_config.json          parsed
 *   special_tokens_map.json         parsed
 * </pre>
 * Close it to unmap the weights.
 */
public final class HfModelDir implements AutoCloseable {
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    public static final String GENERATION_CONFIG_JSON = "generation_config.json";
    public static final String SPECIAL_TOKENS_MAP_JSON = "special_tokens_map.json";
    public static final String SINGLE_WEIGHTS = "model.safetensors";

    private final Path dir;
    private final HfConfig config;
    private final SafetensorsShards weights;
    private final Optional<JsonNode> tokenizerConfig;
    private final Optional<JsonNode> generationConfig;
    private final Optional<JsonNode> specialTokensMap;

    private HfModelDir(Path dir, HfConfig config, SafetensorsShards weights, Optional<JsonNode> tokenizerConfig,
                       Optional<JsonNode> generationConfig, Optional<JsonNode> specialTokensMap) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.tokenizerConfig = tokenizerConfig;
        this.generationConfig = generationConfig;
        this.specialTokensMap = specialTokensMap;
    }

    /** Opens {@code dir}; every problem is a {@link ModelFileException} that names the file and what to do. */
    public static HfModelDir open(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw ModelFileException.worded(dir, "model dir " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelFileException(dir, "is a file, not a model dir: expected a Hugging Face model directory "
                    + "(with config.json) or a .gguf file");
        }
        Path configFile = dir.resolve(HfConfig.FILE_NAME);
        if (!Files.isRegularFile(configFile)) {
            throw ModelFileException.worded(dir, "model dir " + dir + " has no config.json: expected a Hugging Face "
                    + "model directory or a .gguf file");
        }
        HfConfig config = HfConfig.read(configFile);
        Optional<JsonNode> tokenizerConfig = optionalJson(dir.resolve(TOKENIZER_CONFIG_JSON));
        Optional<JsonNode> generationConfig = optionalJson(dir.resolve(GENERATION_CONFIG_JSON));
        Optional<JsonNode> specialTokens = optionalJson(dir.resolve(SPECIAL_TOKENS_MAP_JSON));
        SafetensorsShards weights = openWeights(dir);
        return new HfModelDir(dir, config, weights, tokenizerConfig, generationConfig, specialTokens);
    }

    private static SafetensorsShards openWeights(Path dir) throws IOException {
        Path index = dir.resolve(SafetensorsIndex.FILE_NAME);
        if (Files.isRegularFile(index)) return SafetensorsShards.openIndex(index);
        Path single = dir.resolve(SINGLE_WEIGHTS);
        if (Files.isRegularFile(single)) return SafetensorsShards.openSingle(single);
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                ? " (it has pytorch_model.bin: pickle weights are not read; convert them to safetensors)" : "";
        throw new ModelFileException(dir, "model dir has no " + SINGLE_WEIGHTS + " and no " + SafetensorsIndex.FILE_NAME
                + hint);
    }

    private static Optional<JsonNode> optionalJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Optional.empty();
        JsonNode node = JsonFiles.read(file);
        if (!node.isObject()) throw new ModelFileException(file, "is " + JsonFiles.kindOf(node) + ", expected an object");
        return Optional.of(node);
    }

    private Optional<Path> optionalFile(String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    public Path dir() {
        return dir;
    }

    public HfConfig config() {
        return config;
    }

    public SafetensorsShards weights() {
        return weights;
    }

    /** The named tensor from whichever shard holds it, or an error naming the checkpoint. */
    public StoredTensor tensor(String name) throws ModelFileException {
        return weights.tensor(name);
    }

    public Optional<StoredTensor> findTensor(String name) {
        return weights.find(name);
    }

    public Set<String> tensorNames() {
        return weights.names();
    }

    public Optional<Path> tokenizerJson() {
        return optionalFile(TOKENIZER_JSON);
    }

    public Optional<Path> tokenizerConfigJson() {
        return optionalFile(TOKENIZER_CONFIG_JSON);
    }

    public Optional<Path> generationConfigJson() {
        return optionalFile(GENERATION_CONFIG_JSON);
    }

    public Optional<Path> specialTokensMapJson() {
        return optionalFile(SPECIAL_TOKENS_MAP_JSON);
    }

    /** tokenizer_config.json parsed (chat_template, bos/eos tokens, added tokens ...). */
    public Optional<JsonNode> tokenizerConfig() {
        return tokenizerConfig;
    }

    /** generation_config.json parsed (eos_token_id, temperature, top_p ...). */
    public Optional<JsonNode> generationConfig() {
        return generationConfig;
    }

    /** special_tokens_map.json parsed. */
    public Optional<JsonNode> specialTokensMap() {
        return specialTokensMap;
    }

    @Override
    public void close() {
        weights.close();
    }
}
