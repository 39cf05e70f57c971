package dev.slmops.model.tokenizer;

import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.chat.ChatMessage;
import dev.slmops.model.chat.RenderOptions;
import dev.slmops.model.tokenizer.train.BpeTrainer;
import dev.slmops.model.tokenizer.train.BuiltinCorpus;
import dev.slmops.testkit.fuzz.FuzzLoop;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated tokenizer.json and tokenizer_config.json files: the tokenizer reader either loads them (and then encodes,
 * decodes and renders the chat template without crashing) or rejects them with a TokenizerFormatException that says
 * what is wrong; it never throws anything else and never hangs.
 */
class TokenizerFileFuzzTest {
    @TempDir
    static Path dir;
    static byte[] tokenizerJson;
    static byte[] tokenizerConfig;

    @BeforeAll
    static void smallRealTokenizer() throws Exception {
        BpeTrainer.train(BuiltinCorpus.documents(7, 20_000), BpeTrainer.Options.defaults(320).withReservedSpecialLimit(4))
                .writeHfFiles(dir.resolve("seed"));
        tokenizerJson = Files.readAllBytes(dir.resolve("seed/tokenizer.json"));
        tokenizerConfig = Files.readAllBytes(dir.resolve("seed/tokenizer_config.json"));
    }

    static FuzzLoop.Report fuzz(String name, boolean mutateConfig, int iterations, long seed) {
        Path work = dir.resolve(name);
        return FuzzLoop.run(name, List.of(mutateConfig ? tokenizerConfig : tokenizerJson), iterations, seed,
                Duration.ofSeconds(20), input -> {
                    Files.createDirectories(work);
                    Files.write(work.resolve("tokenizer.json"), mutateConfig ? tokenizerJson : input);
                    Files.write(work.resolve("tokenizer_config.json"), mutateConfig ? input : tokenizerConfig);
                    Tokenizer t = Tokenizers.fromHfDir(work);
                    int[] ids = t.encode("Hello <|im_start|>world 123 héllo\n");
                    t.decode(ids);
                    if (mutateConfig) {
                        try {
                            ChatTemplate.fromModelDir(work).render(List.of(ChatMessage.user("hi")), RenderOptions.forGeneration());
                        } catch (IllegalArgumentException templateRejected) {
                            // a mutated template that does not parse or raises: a clean rejection
                        }
                    }
                }, Set.of(TokenizerFormatException.class));
    }

    @Test
    void mutatedTokenizerJsonIsLoadedOrRejectedCleanly() {
        FuzzLoop.Report r = fuzz("tokenizer-json", false, 1_500, 1);
        System.out.println("tokenizer.json fuzz: " + r);
        assertThat(r.inputs()).isGreaterThanOrEqualTo(1_500);
    }

    @Test
    void mutatedTokenizerConfigIsLoadedOrRejectedCleanly() {
        FuzzLoop.Report r = fuzz("tokenizer-config", true, 1_500, 2);
        System.out.println("tokenizer_config.json fuzz: " + r);
        assertThat(r.inputs()).isGreaterThanOrEqualTo(1_500);
    }

    @Test
    @Tag("slow")
    void hundredThousandMutantsOfEach() {
        System.out.println("tokenizer.json fuzz: " + fuzz("tokenizer-json-slow", false, 100_000, 11));
        System.out.println("tokenizer_config.json fuzz: " + fuzz("tokenizer-config-slow", true, 100_000, 12));
    }
}
