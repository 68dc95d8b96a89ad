package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK against the server, on the demo model: the answers must be right. */
class OpenAiSdkTest {
    private static final String KEY = "sk-test-0123456789";
    private static CasaServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        server = Demo.start(ServerConfig.builder().apiKey(KEY));
        client = OpenAIOkHttpClient.builder().baseUrl(server.uri() + "v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        server.close();
    }

    private static ChatCompletionCreateParams.Builder describe() {
        return ChatCompletionCreateParams.builder()
                .model(server.modelId())
                .addUserMessageOfArrayOfContentParts(List.of(
                        ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                                .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(Demo.exampleDataUri()).build()).build()),
                        ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text(Demo.QUESTION).build())));
    }

    @Test
    void aNonStreamedAnswerIsRight() {
        ChatCompletion c = client.chat().completions().create(describe().build());
        assertEquals(Demo.EXPECTED, c.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
        var usage = c.usage().orElseThrow();
        // "Describe the image." with one image: 13 prompt ids (models/demo/README.md's layout), 9 image tokens (3x3 patches).
        assertEquals(13, usage.promptTokens());
        assertEquals(usage.promptTokens() + usage.completionTokens(), usage.totalTokens());
        assertTrue(usage.completionTokens() >= 15, "the answer's tokens: " + usage.completionTokens());
        // CASA: the 9 image tokens are attended to through the CASA layers, not fed into the context.
        assertEquals(9, usage.promptTokensDetails().orElseThrow().imageTokens().orElseThrow());
        assertEquals(13, usage.promptTokensDetails().orElseThrow().textTokens().orElseThrow());
    }

    @Test
    void aStreamedAnswerIsRightAndEndsWithUsage() {
        List<String> pieces = new ArrayList<>();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                describe().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                chunks.add(chunk);
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(pieces::add));
            });
        }
        assertEquals(Demo.EXPECTED, String.join("", pieces));
        assertTrue(pieces.stream().filter(p -> !p.isEmpty()).count() > 5, "streamed in pieces: " + pieces);
        ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP, finish.choices().get(0).finishReason().orElseThrow());
        ChatCompletionChunk last = chunks.getLast();
        assertTrue(last.choices().isEmpty());
        assertEquals(13, last.usage().orElseThrow().promptTokens());
    }

    @Test
    void stopSequencesEndTheAnswerBeforeThem() {
        ChatCompletion c = client.chat().completions().create(describe().stop(" square").build());
        assertEquals(Demo.EXPECTED.substring(0, Demo.EXPECTED.indexOf(" square")), c.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
    }

    @Test
    void maxTokensCutsTheAnswerWithFinishReasonLength() {
        ChatCompletion c = client.chat().completions().create(describe().maxCompletionTokens(3).build());
        assertEquals(3, c.usage().orElseThrow().completionTokens());
        assertTrue(Demo.EXPECTED.startsWith(c.choices().get(0).message().content().orElseThrow()));
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().get(0).finishReason());
    }

    @Test
    void listsTheModel() {
        List<Model> models = client.models().list().data();
        assertEquals(1, models.size());
        assertEquals(server.modelId(), models.get(0).id());
    }

    @Test
    void errorsReachTheSdkAsItsExceptions() {
        BadRequestException bad = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(describe().maxCompletionTokens(100_000).build()));
        assertEquals("context_length_exceeded", bad.code().orElseThrow());
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(server.uri() + "v1").apiKey("wrong").maxRetries(0).build();
        try {
            assertThrows(UnauthorizedException.class, () -> wrongKey.models().list());
        } finally {
            wrongKey.close();
        }
    }
}
