package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI chat models (its JDK HTTP client) against the server, on the demo model. */
class LangChain4jTest {
    private static final String KEY = "lc4j-key";
    private static CasaServer server;

    @BeforeAll
    static void start() throws Exception {
        server = Demo.start(ServerConfig.builder().apiKey(KEY));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static UserMessage question() {
        return UserMessage.from(ImageContent.from(Base64.getEncoder().encodeToString(Demo.examplePng()), "image/png"),
                TextContent.from(Demo.QUESTION));
    }

    @Test
    void aNonStreamedAnswerIsRight() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.uri() + "v1").apiKey(KEY)
                .modelName(server.modelId()).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        ChatResponse r = model.chat(question());
        assertEquals(Demo.EXPECTED, r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(13, r.tokenUsage().inputTokenCount());
    }

    @Test
    void aStreamedAnswerIsRight() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(server.uri() + "v1").apiKey(KEY)
                .modelName(server.modelId()).timeout(Duration.ofSeconds(60)).build();
        List<String> partials = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(List.of(question()), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) { partials.add(partial); }

            @Override
            public void onCompleteResponse(ChatResponse response) { done.complete(response); }

            @Override
            public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(Demo.EXPECTED, r.aiMessage().text());
        assertEquals(Demo.EXPECTED, String.join("", partials));
        assertTrue(partials.size() > 5, "streamed in pieces: " + partials);
        assertEquals(FinishReason.STOP, r.finishReason());
    }
}
