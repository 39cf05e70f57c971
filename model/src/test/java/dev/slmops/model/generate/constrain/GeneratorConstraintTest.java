package dev.slmops.model.generate.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.chat.ToolCallFormat;
import dev.slmops.model.chat.ToolCallParser;
import dev.slmops.model.chat.ToolChoice;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole path on a real (random-weight) model through {@link Generator}: llama.cpp's tiny random Llama-2 GGUF
 * with its real 32k SentencePiece vocabulary emits garbage unconstrained, and valid JSON / a valid tool call with
 * a constraint; every streamed prefix is a prefix of valid output.
 */
class GeneratorConstraintTest {
    static LoadedModel model;

    @BeforeAll
    static void load() throws Exception {
        model = LoadedModel.load(ProjectFiles.sharedAsset("llama-2-tiny-random.gguf"), new LoadedModel.Options(512, 1));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void garbageWithoutAConstraintValidJsonWithOne() throws Exception {
        int[] prompt = model.tokenizer().encode("Reply in JSON:");
        SamplingParams params = SamplingParams.builder().temperature(1.0).topK(0).topP(1).minP(0).maxTokens(300).seed(3).build();
        Generator.Result free = model.generator().generate(prompt, params, model.newCache(), null);
        assertThat(JsonConstraints.anyObject().matches(free.text())).as("unconstrained: %s", free.text()).isFalse();

        RandomSchemas schemas = new RandomSchemas(11);
        TokenVocabulary vocab = TokenVocabulary.of(model.tokenizer());
        for (int i = 0; i < 8; i++) {
            JsonNode schema = schemas.next();
            var grammar = JsonConstraints.schema(schema);
            StringBuilder streamed = new StringBuilder();
            Generator.Result r = model.generator().generate(prompt, params.toBuilder().seed(i).build(), model.newCache(),
                    (text, token, lp) -> {
                        streamed.append(text);
                        assertThat(grammar.prefixOk(streamed.toString())).as("streamed prefix %s", streamed).isTrue();
                        return true;
                    }, grammar.constraint(vocab));
            assertThat(r.finish()).as("%s for %s", r.text(), schema).isEqualTo(Generator.FinishReason.STOP);
            JsonNode value = ConstrainedDecodingTest.STRICT.readTree(r.text());
            assertThat(SchemaValidator.validate(schema, value)).as("%s against %s", r.text(), schema).isEmpty();
        }
    }

    @Test
    void requiredToolChoiceGivesAValidCall() throws Exception {
        List<Map<String, Object>> tools = List.of(Map.of("type", "function", "function", Map.of("name", "get_weather",
                "parameters", Map.of("type", "object", "properties", Map.of(
                        "city", Map.of("type", "string", "maxLength", 12),
                        "unit", Map.of("enum", List.of("celsius", "fahrenheit"))),
                        "required", List.of("city", "unit"), "additionalProperties", false))));
        int[] prompt = model.tokenizer().encode("Weather in Paris?");
        SamplingParams params = SamplingParams.builder().temperature(1.0).topK(0).topP(1).minP(0).maxTokens(2000).seed(5).build();
        for (ToolCallFormat format : ToolCallFormat.values()) {
            var grammar = ToolCallConstraints.grammar(tools, ToolChoice.parse("required", tools), format).orElseThrow();
            Generator.Result r = model.generator().generate(prompt, params, model.newCache(), null,
                    grammar.constraint(ToolCallConstraints.vocabulary(model.tokenizer(), format)));
            String raw = model.tokenizer().decode(r.tokens(), false);
            if (format == ToolCallFormat.PHI4 || format == ToolCallFormat.MISTRAL) {
                // These allow up to 8 calls in one reply: a random model sampling freely inside the grammar can
                // still be writing calls when the asset's context ends. When it finished, the calls must be valid.
                assertThat(r.finish()).as("%s: %s", format, raw).isIn(Generator.FinishReason.STOP, Generator.FinishReason.LENGTH);
                if (r.finish() == Generator.FinishReason.LENGTH) continue;
            } else {
                assertThat(r.finish()).as("%s: %s", format, raw).isEqualTo(Generator.FinishReason.STOP);
            }
            var parsed = ToolCallParser.parse(raw, format);
            assertThat(parsed.toolCalls()).as("%s: %s", format, raw).isNotEmpty();
            var call = parsed.toolCalls().getFirst();
            assertThat(call.name()).isEqualTo("get_weather");
            JsonNode args = ConstrainedDecodingTest.STRICT.readTree(call.argumentsJson());
            assertThat(args.get("unit").asText()).isIn("celsius", "fahrenheit");
            assertThat(args.get("city").asText().codePointCount(0, args.get("city").asText().length())).isLessThanOrEqualTo(12);
        }
    }
}
