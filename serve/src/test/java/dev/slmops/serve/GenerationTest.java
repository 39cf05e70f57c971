package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.generate.Generator;
import dev.slmops.model.generate.SamplingParams;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What the endpoints generate: concurrent requests batched into shared decode steps produce exactly what the
 * engine's one-sequence {@link Generator} produces alone; streaming, n, stop, usage, echo with prompt log-probs,
 * model load/unload and metrics.
 */
class GenerationTest {
    static OpenAiServer server;
    static int port;
    static final String NO_EOS = "\"logit_bias\":{\"2\":-100,\"509\":-100,\"510\":-100,\"511\":-100}"; // the specials

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(TestServer.options());
        port = server.port();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static JsonNode complete(String fields) {
        TestServer.Reply r = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + fields + "}", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    @Test
    void concurrentRequestsShareDecodeStepsAndMatchTheGeneratorAlone() throws Exception {
        List<String> prompts = List.of("Once upon a time", "The cat", "In the beginning the", "A", "hello world and",
                "numbers 1 2 3");
        int maxTokens = 40;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JsonNode>> replies = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String p : prompts) {
                replies.add(pool.submit(() -> {
                    go.await();
                    return complete("\"prompt\":\"" + p + "\",\"max_tokens\":" + maxTokens + ",\"temperature\":0,"
                            + NO_EOS);
                }));
            }
            go.countDown();
            try (LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
                for (int i = 0; i < prompts.size(); i++) {
                    SamplingParams greedy = SamplingParams.greedy(maxTokens).toBuilder()
                            .logitBias(Map.of(2, -100f)).build();
                    KvCache cache = m.newCache();
                    Generator.Result alone = m.generator().generate(m.tokenizer().encode(prompts.get(i), true),
                            greedy, cache, null);
                    JsonNode served = replies.get(i).get();
                    assertThat(served.at("/choices/0/text").asText()).as(prompts.get(i)).isEqualTo(alone.text());
                    assertThat(served.at("/usage/completion_tokens").asInt()).isEqualTo(alone.tokens().length);
                    assertThat(served.at("/usage/prompt_tokens").asInt()).isEqualTo(alone.promptTokens());
                    assertThat(served.at("/choices/0/finish_reason").asText()).isEqualTo("length");
                }
            }
        }
        assertThat(server.models().loadedModels().getFirst().scheduler().largestBatch())
                .as("some decode step carried several sequences").isGreaterThan(1);
    }

    @Test
    void f16KvCachesGiveTheGeneratorsF16Text() throws Exception {
        try (OpenAiServer f16 = OpenAiServer.start(TestServer.options().withKvType(KvCache.Type.F16));
             LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1, KvCache.Type.F16))) {
            for (String prompt : List.of("Once upon a time", "numbers 1 2 3")) {
                TestServer.Reply r = TestServer.post(f16.port(), "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\""
                        + prompt + "\",\"max_tokens\":24,\"temperature\":0," + NO_EOS + "}", null);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                SamplingParams greedy = SamplingParams.greedy(24).toBuilder().logitBias(Map.of(2, -100f)).build();
                Generator.Result alone = m.generator().generate(m.tokenizer().encode(prompt, true), greedy, m.newCache(), null);
                assertThat(r.json().at("/choices/0/text").asText()).as(prompt).isEqualTo(alone.text());
            }
            assertThat(f16.models().loadedModels().getFirst().scheduler().kvType()).isEqualTo(KvCache.Type.F16);
        }
    }

    /** A server that warms each model up at load (slmops serve's default) serves what the Generator alone gives. */
    @Test
    void aWarmedUpModelServesTheGeneratorsText() throws Exception {
        try (OpenAiServer warm = OpenAiServer.start(TestServer.options().withWarmUp(true));
             LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
            assertThat(TestServer.post(warm.port(), "/v1/models/load", "{\"model\":\"tiny\"}", null).status()).isEqualTo(200);
            String prompt = "Once upon a time";
            TestServer.Reply r = TestServer.post(warm.port(), "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\""
                    + prompt + "\",\"max_tokens\":24,\"temperature\":0," + NO_EOS + "}", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            SamplingParams greedy = SamplingParams.greedy(24).toBuilder().logitBias(Map.of(2, -100f)).build();
            Generator.Result alone = m.generator().generate(m.tokenizer().encode(prompt, true), greedy, m.newCache(), null);
            assertThat(r.json().at("/choices/0/text").asText()).isEqualTo(alone.text());
        }
    }

    @Test
    void streamedTextEqualsTheWholeResponse() {
        String fields = "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me\"}],\"max_tokens\":30,\"seed\":9,"
                + NO_EOS;
        TestServer.Reply whole = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\"," + fields + "}", null);
        TestServer.Reply stream = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\"," + fields
                + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", null);
        assertThat(stream.status()).isEqualTo(200);
        StringBuilder text = new StringBuilder();
        JsonNode usage = null;
        String finish = null;
        List<String> events = sseData(stream.body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = TestServer.JSON.valueToTree(parse(e));
            assertThat(chunk.get("object").asText()).isEqualTo("chat.completion.chunk");
            if (chunk.get("choices").isEmpty()) usage = chunk.get("usage");
            else {
                text.append(chunk.at("/choices/0/delta/content").asText(""));
                if (!chunk.at("/choices/0/finish_reason").isNull()) finish = chunk.at("/choices/0/finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo(whole.json().at("/choices/0/message/content").asText());
        assertThat(finish).isEqualTo("length");
        assertThat(usage).isNotNull();
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(30);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + 30);
    }

    @Test
    void nChoicesWithSeedsAreReproducible() {
        String f = "\"prompt\":\"abc\",\"max_tokens\":12,\"n\":3,\"seed\":42,\"temperature\":1.2," + NO_EOS;
        JsonNode a = complete(f), b = complete(f);
        assertThat(a.get("choices")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(a.at("/choices/" + i + "/index").asInt()).isEqualTo(i);
            assertThat(a.at("/choices/" + i + "/text").asText()).isEqualTo(b.at("/choices/" + i + "/text").asText());
        }
        assertThat(a.at("/usage/completion_tokens").asInt()).isEqualTo(36);
    }

    @Test
    void streamedChoicesEqualTheWholeResponsesChoices() {
        String f = "\"prompt\":\"abc\",\"max_tokens\":12,\"n\":3,\"seed\":42,\"temperature\":1.2," + NO_EOS;
        JsonNode whole = complete(f);
        TestServer.Reply stream = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + f
                + ",\"stream\":true}", null);
        assertThat(stream.status()).as(stream.body()).isEqualTo(200);
        StringBuilder[] text = {new StringBuilder(), new StringBuilder(), new StringBuilder()};
        String[] finish = new String[3];
        List<String> events = sseData(stream.body());
        assertThat(events.getLast()).isEqualTo("[DONE]");
        for (String e : events.subList(0, events.size() - 1)) {
            for (JsonNode c : TestServer.JSON.<JsonNode>valueToTree(parse(e)).get("choices")) {
                int i = c.get("index").asInt();
                text[i].append(c.get("text").asText());
                if (c.hasNonNull("finish_reason")) finish[i] = c.get("finish_reason").asText();
            }
        }
        for (int i = 0; i < 3; i++) {
            assertThat(text[i].toString()).as("choice " + i).isEqualTo(whole.at("/choices/" + i + "/text").asText());
            assertThat(finish[i]).isEqualTo("length");
        }
    }

    @Test
    void echoedPromptStreamsFirst() {
        String f = "\"prompt\":\"Once upon\",\"max_tokens\":8,\"temperature\":0,\"echo\":true," + NO_EOS;
        String whole = complete(f).at("/choices/0/text").asText();
        assertThat(whole).startsWith("Once upon");
        TestServer.Reply stream = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + f
                + ",\"stream\":true}", null);
        StringBuilder text = new StringBuilder();
        List<String> events = sseData(stream.body());
        for (String e : events.subList(0, events.size() - 1)) {
            text.append(TestServer.JSON.<JsonNode>valueToTree(parse(e)).at("/choices/0/text").asText());
        }
        assertThat(text.toString()).isEqualTo(whole);
    }

    @Test
    void streamedLogprobsHaveTheWholeResponsesOffsetsAndTokens() {
        String f = "\"prompt\":\"Once upon\",\"max_tokens\":8,\"temperature\":0,\"echo\":true,\"logprobs\":1," + NO_EOS;
        JsonNode whole = complete(f).at("/choices/0/logprobs");
        TestServer.Reply stream = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + f
                + ",\"stream\":true}", null);
        List<Integer> offsets = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<String> events = sseData(stream.body());
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode lp = TestServer.JSON.<JsonNode>valueToTree(parse(e)).at("/choices/0/logprobs");
            if (lp.isMissingNode() || lp.isNull()) continue;
            lp.get("text_offset").forEach(o -> offsets.add(o.asInt()));
            lp.get("tokens").forEach(t -> tokens.add(t.asText()));
        }
        List<Integer> wholeOffsets = new ArrayList<>();
        whole.get("text_offset").forEach(o -> wholeOffsets.add(o.asInt()));
        List<String> wholeTokens = new ArrayList<>();
        whole.get("tokens").forEach(t -> wholeTokens.add(t.asText()));
        assertThat(tokens).isEqualTo(wholeTokens);
        assertThat(offsets).as("offsets into the whole text, not restarting per chunk").isEqualTo(wholeOffsets);
    }

    /** top_p, top_k, min_p and the penalties reach the sampler: the served text is the Generator's with them. */
    @Test
    void samplingFieldsGiveTheGeneratorsText() throws Exception {
        String prompt = "Once upon a time";
        try (LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
            String[] fields = {
                    "\"top_p\":0.5", "\"top_k\":5", "\"min_p\":0.2", "\"presence_penalty\":1.5",
                    "\"frequency_penalty\":-1.5", "\"repetition_penalty\":1.3"};
            String plain = null;
            for (String field : fields) {
                SamplingParams.Builder b = SamplingParams.builder().temperature(1.3).topK(0).topP(1).minP(0)
                        .penaltyLastN(-1).seed(77).maxTokens(40).logitBias(Map.of(2, -100f, 509, -100f, 510, -100f,
                                511, -100f));
                String name = field.substring(1, field.indexOf('"', 1));
                double v = Double.parseDouble(field.substring(field.indexOf(':') + 1));
                switch (name) {
                    case "top_p" -> b.topP(v);
                    case "top_k" -> b.topK((int) v);
                    case "min_p" -> b.minP(v);
                    case "presence_penalty" -> b.presencePenalty(v);
                    case "frequency_penalty" -> b.frequencyPenalty(v);
                    default -> b.repetitionPenalty(v);
                }
                Generator.Result alone = m.generator().generate(m.tokenizer().encode(prompt, true), b.build(),
                        m.newCache(), null);
                JsonNode served = complete("\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":1.3,"
                        + "\"seed\":77," + field + "," + NO_EOS);
                assertThat(served.at("/choices/0/text").asText()).as(field).isEqualTo(alone.text());
                if (plain == null) {
                    plain = complete("\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":1.3,"
                            + "\"seed\":77," + NO_EOS).at("/choices/0/text").asText();
                }
                assertThat(alone.text()).as(field + " changes the sampled text").isNotEqualTo(plain);
            }
        }
    }

    /**
     * json_object: the reply is a JSON object. A random model writes long strings and would not close one within a
     * few hundred tokens, so "}" is favoured by a logit bias; the reply must still open with "{" and end there.
     */
    @Test
    void jsonObjectResponsesAreJsonObjects() throws Exception {
        int close = Tokenizers.fromHfDir(TestServer.tinyModel()).encode("}", false)[0];
        for (boolean stream : new boolean[]{false, true}) {
            TestServer.Reply r = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{"
                    + "\"role\":\"user\",\"content\":\"some JSON\"}],\"max_tokens\":200,\"seed\":4,\"stream\":" + stream
                    + ",\"logit_bias\":{\"" + close + "\":10},\"response_format\":{\"type\":\"json_object\"}}", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            StringBuilder text = new StringBuilder();
            String finish = null;
            if (stream) {
                for (String e : sseData(r.body())) {
                    if (e.equals("[DONE]")) continue;
                    JsonNode c = TestServer.JSON.readTree(e).at("/choices/0");
                    text.append(c.at("/delta/content").asText(""));
                    if (c.hasNonNull("finish_reason")) finish = c.get("finish_reason").asText();
                }
            } else {
                text.append(r.json().at("/choices/0/message/content").asText());
                finish = r.json().at("/choices/0/finish_reason").asText();
            }
            assertThat(finish).as(text.toString()).isEqualTo("stop");
            assertThat(TestServer.JSON.readTree(text.toString()).isObject()).as(text.toString()).isTrue();
        }
    }

    @Test
    void stopStringCutsTheText() {
        JsonNode free = complete("\"prompt\":\"x\",\"max_tokens\":30,\"temperature\":0," + NO_EOS);
        String text = free.at("/choices/0/text").asText();
        assertThat(text.length()).isGreaterThan(6);
        String stop = text.substring(4, 6);
        JsonNode cut = complete("\"prompt\":\"x\",\"max_tokens\":30,\"temperature\":0,\"stop\":[\"" + escape(stop) + "\"],"
                + NO_EOS);
        assertThat(cut.at("/choices/0/text").asText()).isEqualTo(text.substring(0, text.indexOf(stop)));
        assertThat(cut.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    }

    @Test
    void echoScoresThePromptAsTheModelDoes() throws Exception {
        // Long enough to be scored over several prefill chunks (Scheduler.PROMPT_SCORING_ROWS rows each).
        String prompt = "The quick brown fox jumps over the lazy dog. ".repeat(3).trim();
        JsonNode r = complete("\"prompt\":\"" + prompt + "\",\"max_tokens\":0,\"echo\":true,\"logprobs\":2");
        JsonNode lp = r.at("/choices/0/logprobs");
        assertThat(r.at("/choices/0/text").asText()).isEqualTo(prompt);
        try (LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
            int[] ids = m.tokenizer().encode(prompt, true);
            assertThat(ids.length).isGreaterThan(2 * 32);
            int V = m.config().vocabSize();
            float[] logits = m.transformer().forward(m.newCache(), ids, true); // [T, V]
            assertThat(lp.get("token_logprobs")).hasSize(ids.length);
            assertThat(lp.get("token_logprobs").get(0).isNull()).isTrue();
            for (int t = 1; t < ids.length; t++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[(t - 1) * V + v]);
                for (int v = 0; v < V; v++) sum += Math.exp(logits[(t - 1) * V + v] - max);
                double expected = logits[(t - 1) * V + ids[t]] - max - Math.log(sum);
                assertThat(lp.get("token_logprobs").get(t).asDouble()).isCloseTo(expected, within(1e-4));
                assertThat(lp.get("top_logprobs").get(t).size()).isBetween(1, 2);
            }
        }
    }

    @Test
    void chatLogprobsHaveTheOpenAiShape() {
        TestServer.Reply r = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"hi\"}],\"max_tokens\":4,\"logprobs\":true,\"top_logprobs\":3," + NO_EOS + "}", null);
        JsonNode content = r.json().at("/choices/0/logprobs/content");
        assertThat(content).hasSize(4);
        for (JsonNode e : content) {
            assertThat(e.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(e.get("top_logprobs")).hasSize(3);
            assertThat(e.get("top_logprobs").get(0).get("logprob").asDouble())
                    .isGreaterThanOrEqualTo(e.get("top_logprobs").get(2).get("logprob").asDouble());
        }
    }

    @Test
    void nChoicesShareOnePrefillAndEqualSeparateRequestsSeededAlike() {
        // Choice i of an n-request samples with seed + i; its prompt is prefilled once and the KV cache copied, which
        // must not change a thing: each choice equals a single request with that seed (and so do the prompt scores).
        String prompt = "\"prompt\":\"Once upon a time there was a small model that\",\"max_tokens\":12,"
                + "\"temperature\":1,\"echo\":true,\"logprobs\":1,\"logit_bias\":{\"509\":-100,\"510\":-100,\"511\":-100}";
        TestServer.Reply warm = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + prompt + "}", null);
        assertThat(warm.status()).as(warm.body()).isEqualTo(200);
        var tiny = server.models().loadedModels().stream().filter(m -> m.name().equals("tiny")).findFirst()
                .orElseThrow().scheduler();
        long prefilledBefore = tiny.prefilledTokens();
        TestServer.Reply many = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + prompt
                + ",\"n\":3,\"seed\":40}", null);
        assertThat(many.status()).as(many.body()).isEqualTo(200);
        assertThat(tiny.prefilledTokens() - prefilledBefore).as("the prompt is computed once for the 3 choices")
                .isEqualTo(many.json().at("/usage/prompt_tokens").asLong());
        for (int i = 0; i < 3; i++) {
            TestServer.Reply one = TestServer.post(port, "/v1/completions", "{\"model\":\"tiny\"," + prompt
                    + ",\"seed\":" + (40 + i) + "}", null);
            assertThat(one.status()).as(one.body()).isEqualTo(200);
            JsonNode a = many.json().at("/choices/" + i), b = one.json().at("/choices/0");
            assertThat(a.get("text").asText()).as("choice " + i).isEqualTo(b.get("text").asText());
            JsonNode la = a.at("/logprobs/token_logprobs"), lb = b.at("/logprobs/token_logprobs");
            assertThat(la.size()).isEqualTo(lb.size());
            for (int t = 1; t < la.size(); t++) { // batched and lone passes differ in the last float bits only
                assertThat(la.get(t).asDouble()).as("choice " + i + " token " + t).isCloseTo(lb.get(t).asDouble(), within(1e-4));
            }
        }
        assertThat(many.json().at("/choices/0/text").asText()).isNotEqualTo(many.json().at("/choices/1/text").asText());
    }

    @Test
    void jsonSchemaResponsesParseAndFollowTheSchema() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8},"
                + "\"age\":{\"type\":\"integer\"}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";
        for (boolean stream : new boolean[]{false, true}) {
            TestServer.Reply r = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{"
                    + "\"role\":\"user\",\"content\":\"a person\"}],\"max_tokens\":120,\"seed\":3,\"stream\":" + stream
                    + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\",\"schema\":"
                    + schema + "}}}", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            String text;
            if (stream) {
                StringBuilder sb = new StringBuilder();
                for (String e : sseData(r.body())) {
                    if (!e.equals("[DONE]")) sb.append(TestServer.JSON.readTree(e).at("/choices/0/delta/content").asText(""));
                }
                text = sb.toString();
            } else {
                text = r.json().at("/choices/0/message/content").asText();
            }
            JsonNode value = TestServer.JSON.readTree(text); // Jackson, not our recognizer, parses it
            assertThat(value.get("name").isTextual()).as(text).isTrue();
            assertThat(value.get("age").isIntegralNumber()).as(text).isTrue();
            assertThat(value.size()).isEqualTo(2);
        }
    }

    @Test
    void kvPagesGoBackWhenSequencesEnd() {
        // no max_tokens: the sequence may reach the whole context; its pages come as it writes and go when it ends
        JsonNode r = complete("\"prompt\":\"Once upon a time\",\"temperature\":0," + NO_EOS);
        assertThat(r.at("/usage/completion_tokens").asInt()).isPositive();
        var scheduler = server.models().loadedModels().getFirst().scheduler();
        assertThat(scheduler.kvBytesPeak()).isPositive();
        long deadline = System.nanoTime() + 5_000_000_000L; // other tests of this class may still be decoding
        while (scheduler.activeSequences() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        if (scheduler.activeSequences() == 0) assertThat(scheduler.kvBytesInUse()).isZero();
    }

    static final String WEATHER_TOOL = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":10}},\"required\":"
            + "[\"city\"],\"additionalProperties\":false}}}]";

    /**
     * tiny's ChatML template renders no tools: the server describes them to the model in a system message. With
     * tool_choice auto the random model answers in text, which comes back as content with no tool calls.
     */
    @Test
    void toolsReachAModelWhoseTemplateDropsThem() {
        String ask = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"weather in Paris?\"}],"
                + "\"max_tokens\":8,\"seed\":5," + NO_EOS;
        TestServer.Reply plain = TestServer.post(port, "/v1/chat/completions", ask + "}", null);
        TestServer.Reply auto = TestServer.post(port, "/v1/chat/completions", ask + ",\"tools\":" + WEATHER_TOOL
                + ",\"tool_choice\":\"auto\"}", null);
        assertThat(auto.status()).as(auto.body()).isEqualTo(200);
        assertThat(auto.json().at("/usage/prompt_tokens").asInt()).as("the tool instructions are in the prompt")
                .isGreaterThan(plain.json().at("/usage/prompt_tokens").asInt() + 40);
        assertThat(auto.json().at("/choices/0/message/content").isTextual()).as(auto.body()).isTrue();
        assertThat(auto.json().at("/choices/0/message/tool_calls").isMissingNode()).as(auto.body()).isTrue();
        assertThat(auto.json().at("/choices/0/finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void requiredToolCallsComeBackInOpenAisShape() throws Exception {
        String tools = WEATHER_TOOL;
        for (boolean stream : new boolean[]{false, true}) {
            TestServer.Reply r = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{"
                    + "\"role\":\"user\",\"content\":\"weather in Paris?\"}],\"max_tokens\":200,\"seed\":5,\"tools\":"
                    + tools + ",\"tool_choice\":\"required\",\"stream\":" + stream + "}", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode call;
            String finish;
            if (stream) {
                // deltas: the first names the call (id, type, name, empty arguments), the next add argument text
                com.fasterxml.jackson.databind.node.ObjectNode acc = null;
                finish = null;
                int argumentChunks = 0;
                for (String e : sseData(r.body())) {
                    if (e.equals("[DONE]")) continue;
                    JsonNode c = TestServer.JSON.readTree(e).at("/choices/0");
                    if (c.at("/delta/tool_calls").isArray()) {
                        JsonNode d = c.at("/delta/tool_calls/0");
                        assertThat(d.get("index").asInt()).isZero();
                        if (acc == null) {
                            assertThat(d.get("id").asText()).startsWith("call_");
                            assertThat(d.at("/function/arguments").asText()).isEmpty();
                            acc = d.deepCopy();
                        } else {
                            assertThat(d.has("id")).as("only the first delta names the call").isFalse();
                            ((com.fasterxml.jackson.databind.node.ObjectNode) acc.get("function")).put("arguments",
                                    acc.at("/function/arguments").asText() + d.at("/function/arguments").asText());
                            argumentChunks++;
                        }
                    }
                    if (c.hasNonNull("finish_reason")) finish = c.get("finish_reason").asText();
                }
                call = acc;
                assertThat(argumentChunks).as("arguments stream in several pieces: " + r.body()).isGreaterThan(1);
            } else {
                call = r.json().at("/choices/0/message/tool_calls/0");
                finish = r.json().at("/choices/0/finish_reason").asText();
            }
            assertThat(call).as(r.body()).isNotNull();
            assertThat(call.at("/function/name").asText()).as(r.body()).isEqualTo("get_weather");
            assertThat(call.get("type").asText()).isEqualTo("function");
            JsonNode args = TestServer.JSON.readTree(call.at("/function/arguments").asText());
            assertThat(args.get("city").isTextual()).isTrue();
            assertThat(finish).isEqualTo("tool_calls");
        }
    }

    @Test
    void logprobsWithoutAlternatives() {
        TestServer.Reply r = TestServer.post(port, "/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"logprobs\":true," + NO_EOS + "}", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode content = r.json().at("/choices/0/logprobs/content");
        assertThat(content).hasSize(3);
        assertThat(content.get(0).get("top_logprobs")).isEmpty();
        assertThat(content.get(0).get("logprob").asDouble()).isLessThanOrEqualTo(0);
    }

    @Test
    void modelsCanBeListedUnloadedAndLoadedAgain() {
        complete("\"prompt\":\"a\",\"max_tokens\":1");
        JsonNode list = TestServer.get(port, "/v1/models", null).json();
        assertThat(list.at("/data/0/id").asText()).isEqualTo("tiny");
        assertThat(list.at("/data/0/loaded").asBoolean()).isTrue();
        assertThat(TestServer.post(port, "/v1/models/unload", "{\"model\":\"tiny\"}", null).json().get("unloaded")
                .asBoolean()).isTrue();
        assertThat(TestServer.get(port, "/v1/models", null).json().at("/data/0/loaded").asBoolean()).isFalse();
        assertThat(TestServer.post(port, "/v1/models/load", "{\"model\":\"tiny\"}", null).status()).isEqualTo(200);
        assertThat(TestServer.get(port, "/v1/models", null).json().at("/data/0/loaded").asBoolean()).isTrue();
        complete("\"prompt\":\"a\",\"max_tokens\":1"); // and it serves again
    }

    @Test
    void metricsAreInPrometheusFormat() {
        complete("\"prompt\":\"a\",\"max_tokens\":2");
        String m = TestServer.get(port, "/metrics", null).body();
        assertThat(m).contains("slmops_requests_total{", "slmops_completion_tokens_total", "slmops_queue_depth",
                "slmops_time_to_first_token_seconds_bucket", "slmops_inter_token_latency_seconds_bucket",
                "slmops_loaded_models", "jvm_memory_used_bytes", "slmops_process_resident_memory_bytes");
    }

    static List<String> sseData(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.startsWith("data: ")) out.add(block.substring(6));
        }
        return out;
    }

    static Object parse(String s) {
        try {
            return TestServer.JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(s, e);
        }
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
