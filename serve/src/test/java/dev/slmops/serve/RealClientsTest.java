package dev.slmops.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.StructuredChatCompletion;
import com.openai.models.chat.completions.StructuredChatCompletionCreateParams;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients this project did not write, pointed at the server: OpenAI's official Java SDK and LangChain4j's OpenAI
 * chat models complete, stream, and read JSON-schema (structured output) and tool-call responses. The tiny model is
 * random, so the schemas use enums and integers: constrained decoding must still make every reply parse.
 */
class RealClientsTest {
    static final String KEY = "sk-local";
    static OpenAiServer server;
    static String baseUrl;

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(TestServer.options().withApiKey(KEY));
        baseUrl = "http://127.0.0.1:" + server.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    static OpenAIClient openai() {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(KEY).maxRetries(0).build();
    }

    @Test
    void openAiJavaCompletesAChat() {
        ChatCompletion c = openai().chat().completions().create(ChatCompletionCreateParams.builder().model("tiny")
                .addSystemMessage("You are terse.").addUserMessage("Say hi").maxCompletionTokens(8).temperature(0.0)
                .build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().getFirst().message().content()).isPresent();
        assertThat(c.usage()).isPresent();
        assertThat(c.usage().get().promptTokens()).isPositive();
        assertThat(c.model()).isEqualTo("tiny");
    }

    @Test
    void openAiJavaStreamsAChatAndTheTextMatches() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("tiny").addUserMessage("Count")
                .maxCompletionTokens(16).temperature(0.0).build();
        String whole = openai().chat().completions().create(p).choices().getFirst().message().content().orElse("");
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = openai().chat().completions().createStreaming(p)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertThat(streamed.toString()).isEqualTo(whole);
    }

    @Test
    void openAiJavaListsAndRetrievesModels() {
        assertThat(openai().models().list().data()).anySatisfy(m -> assertThat(m.id()).isEqualTo("tiny"));
        assertThat(openai().models().retrieve("tiny").id()).isEqualTo("tiny");
    }

    @Test
    void openAiJavaLegacyCompletion() {
        Completion c = openai().completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt("Once upon a time").maxTokens(6).temperature(0.0).build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().getFirst().finishReason()).isNotNull();
    }

    @Test
    void langChain4jChatsAndStreams() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(KEY).modelName("tiny").maxTokens(8)
                .temperature(0.0).build();
        String answer = chat.chat("Hello there");
        assertThat(answer).isNotNull();

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey(KEY)
                .modelName("tiny").maxTokens(8).temperature(0.0).build();
        StringBuilder parts = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Hello there", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                parts.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertThat(parts.toString()).isEqualTo(answer);
        assertThat(r.aiMessage().text()).isEqualTo(answer);
    }

    /** The structured output openai-java derives a JSON schema from (public fields, Jackson-bound). */
    public static final class Pet {
        public Color color;
        public long legs;
    }

    public enum Color { RED, GREEN, BLUE }

    /** A tool's parameters as a class: openai-java names the function after it ("GetWeather"). */
    public static final class GetWeather {
        public City city;
    }

    public enum City { PARIS, ROME, OSLO }

    @Test
    void openAiJavaReadsAJsonSchemaResponseIntoAClass() {
        StructuredChatCompletionCreateParams<Pet> p = ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("Describe a pet").maxCompletionTokens(60).seed(3).responseFormat(Pet.class).build();
        StructuredChatCompletion<Pet> c = openai().chat().completions().create(p);
        Pet pet = c.choices().getFirst().message().content().orElseThrow();
        assertThat(pet.color).isNotNull();
        assertThat(c.choices().getFirst().finishReason().asString()).isEqualTo("stop");
    }

    @Test
    void openAiJavaReadsARequiredToolCall() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("What is the weather in Paris?").maxCompletionTokens(400).seed(5)
                .addTool(GetWeather.class).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
        ChatCompletion c = openai().chat().completions().create(p);
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertThat(choice.finishReason().asString()).isEqualTo("tool_calls");
        List<com.openai.models.chat.completions.ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
        assertThat(calls).isNotEmpty();
        ChatCompletionMessageFunctionToolCall call = calls.getFirst().asFunction();
        assertThat(call.function().name()).isEqualTo("GetWeather");
        assertThat(call.id()).isNotBlank();
        GetWeather args = call.function().arguments(GetWeather.class); // the SDK parses and validates the JSON
        assertThat(args.city).isNotNull();
    }

    @Test
    void langChain4jReadsAJsonSchemaResponse() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(KEY).modelName("tiny").maxTokens(200)
                .seed(3).strictJsonSchema(true).build(); // strict: LangChain4j sends additionalProperties false
        JsonSchema schema = JsonSchema.builder().name("pet").rootElement(JsonObjectSchema.builder()
                .addEnumProperty("color", List.of("red", "green", "blue")).addIntegerProperty("legs")
                .required("color", "legs").additionalProperties(false).build()).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Describe a pet"))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build()).build());
        assertThat(r.finishReason()).as(r.aiMessage().text()).isEqualTo(dev.langchain4j.model.output.FinishReason.STOP);
        var value = TestServer.JSON.readTree(r.aiMessage().text()); // Jackson, not our recognizer, parses it
        assertThat(value.get("color").asText()).isIn("red", "green", "blue");
        assertThat(value.get("legs").isIntegralNumber()).isTrue();
    }

    @Test
    void langChain4jReadsARequiredToolCall() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(KEY).modelName("tiny").maxTokens(400)
                .seed(5).strictTools(true).build(); // strict: LangChain4j sends additionalProperties false
        ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("Weather in a city")
                .parameters(JsonObjectSchema.builder().addEnumProperty("city", List.of("Paris", "Rome"))
                        .required("city").additionalProperties(false).build()).build();
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Paris?"))
                .toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).build());
        assertThat(r.aiMessage().hasToolExecutionRequests()).as(r.toString()).isTrue();
        ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(TestServer.JSON.readTree(call.arguments()).get("city").asText()).isIn("Paris", "Rome");
    }

    @Test
    void openAiJavaAccumulatesAStreamedToolCall() {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("What is the weather in Paris?").maxCompletionTokens(400).seed(5)
                .addTool(GetWeather.class).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
        ChatCompletionAccumulator acc = ChatCompletionAccumulator.create();
        int[] argumentDeltas = {0};
        try (StreamResponse<ChatCompletionChunk> s = openai().chat().completions().createStreaming(p)) {
            s.stream().forEach(chunk -> {
                acc.accumulate(chunk);
                chunk.choices().forEach(ch -> ch.delta().toolCalls().ifPresent(calls -> calls.forEach(tc -> {
                    if (tc.id().isEmpty() && tc.function().flatMap(f -> f.arguments()).isPresent()) argumentDeltas[0]++;
                })));
            });
        }
        ChatCompletion c = acc.chatCompletion(); // the SDK's own accumulator joins the deltas
        ChatCompletion.Choice choice = c.choices().getFirst();
        assertThat(choice.finishReason().asString()).isEqualTo("tool_calls");
        ChatCompletionMessageFunctionToolCall call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.function().name()).isEqualTo("GetWeather");
        assertThat(call.id()).startsWith("call_");
        assertThat(call.function().arguments(GetWeather.class).city).isNotNull(); // the joined JSON parses
        assertThat(argumentDeltas[0]).as("arguments arrive in pieces, not in one chunk at the end").isGreaterThan(1);
    }

    @Test
    void langChain4jStreamsAToolCall() throws Exception {
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey(KEY)
                .modelName("tiny").maxTokens(400).seed(5).strictTools(true).build();
        ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("Weather in a city")
                .parameters(JsonObjectSchema.builder().addEnumProperty("city", List.of("Paris", "Rome"))
                        .required("city").additionalProperties(false).build()).build();
        List<PartialToolCall> partials = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<CompleteToolCall> completes = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("Weather in Paris?")).toolSpecifications(weather)
                .toolChoice(ToolChoice.REQUIRED).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialToolCall(PartialToolCall partial) {
                partials.add(partial);
            }

            @Override
            public void onCompleteToolCall(CompleteToolCall complete) {
                completes.add(complete);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertThat(r.aiMessage().hasToolExecutionRequests()).as(r.toString()).isTrue();
        ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().getFirst();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(TestServer.JSON.readTree(call.arguments()).get("city").asText()).isIn("Paris", "Rome");
        assertThat(partials.size()).as("partial tool calls as the arguments are generated").isGreaterThan(1);
        assertThat(partials).allSatisfy(p -> assertThat(p.name()).isEqualTo("get_weather"));
        assertThat(completes).hasSize(1);
        assertThat(completes.getFirst().toolExecutionRequest().arguments()).isEqualTo(call.arguments());
    }
}
