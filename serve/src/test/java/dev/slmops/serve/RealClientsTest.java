package dev.slmops.serve;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients this project did not write, pointed at the server: OpenAI's official Java SDK and LangChain4j's OpenAI
 * chat models complete and stream. (JSON-schema and tool-call responses follow once constrained decoding lands.)
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
}
