package dev.slmops.model.tokenizer;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** The real tokenizers, loaded once per test JVM (each load parses a 10 MB tokenizer.json). */
final class TestTokenizers {
    private static final ConcurrentHashMap<Path, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private TestTokenizers() {
    }

    /** tokenizer.json with the tokenizer_config.json beside it. */
    static Tokenizer hf(Path json) {
        return LOADED.computeIfAbsent(json, j -> Tokenizers.fromHfFiles(j, j.resolveSibling("tokenizer_config.json")));
    }

    static Tokenizer qwen3() {
        return hf(HfParityTest.qwen3Json());
    }

    static Tokenizer llama3() {
        return hf(HfParityTest.llama3Json());
    }
}
