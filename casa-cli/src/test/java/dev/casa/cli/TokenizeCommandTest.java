package dev.casa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code casa tokenize} against the HF tokenizers fixtures, and its bad-input behaviour. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private record Run(int status, String stderr) {}

    private Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TokenizeCommand());
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Run(status, err.toString());
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(TokenizeCommandTest.class.getResource("/tokenizers/" + name).toURI());
    }

    private static List<JsonNode> expected(String name) throws IOException {
        try (InputStream in = TokenizeCommandTest.class.getResourceAsStream("/tokenizers/" + name + ".expected.jsonl")) {
            List<JsonNode> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                JsonNode node = JSON.readTree(line);
                if (node.has("text")) out.add(node);
            }
            return out;
        }
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    @Test
    void outputMatchesHfTokenizers() throws Exception {
        for (String name : List.of("llama2", "llama3")) {
            List<JsonNode> cases = expected(name);
            Path in = dir.resolve(name + ".in.jsonl");
            List<String> lines = new ArrayList<>();
            for (JsonNode c : cases) lines.add(JSON.writeValueAsString(c.get("text").asText()));
            Files.write(in, lines, StandardCharsets.UTF_8);
            for (boolean special : new boolean[] {true, false}) {
                Path out = dir.resolve(name + special + ".out.jsonl");
                List<String> args = new ArrayList<>(List.of("--tokenizer", resource(name + ".tokenizer.json").toString(),
                        "--in", in.toString(), "--out", out.toString()));
                if (special) args.add("--special");
                Run r = run(args.toArray(String[]::new));
                assertEquals(0, r.status(), r.stderr());
                List<String> outLines = Files.readAllLines(out, StandardCharsets.UTF_8);
                assertEquals(cases.size(), outLines.size());
                for (int i = 0; i < cases.size(); i++) {
                    JsonNode got = JSON.readTree(outLines.get(i));
                    JsonNode want = cases.get(i);
                    assertArrayEquals(ints(want.get(special ? "ids_special" : "ids")), ints(got.get("ids")), name + " line " + (i + 1));
                    if (special) assertEquals(want.get("decoded").asText(), got.get("decoded").asText(), name + " line " + (i + 1));
                }
            }
        }
    }

    private void assertBadInput(Run r, Path out, String mention) {
        assertEquals(2, r.status(), r.stderr());
        String message = r.stderr().strip();
        assertFalse(message.isEmpty(), "no error message");
        assertFalse(message.contains("\n"), "error is not one line: " + message);
        assertTrue(message.contains(mention), message + " should mention " + mention);
        assertFalse(Files.exists(out), "output file left behind");
        try (var files = Files.list(out.getParent())) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "temporary file left behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void badInputGivesOneLineAndNoOutput() throws Exception {
        String good = resource("llama2.tokenizer.json").toString();
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "\"fine\"\n{\"not\": \"a string\"}\n");
        Path badJson = dir.resolve("bad.jsonl");
        Files.writeString(badJson, "\"fine\"\n\"unterminated\n");
        Path out = dir.resolve("sub").resolve("out.jsonl");
        Files.createDirectories(out.getParent());

        assertBadInput(run("--tokenizer", dir.resolve("missing.json").toString(), "--in", in.toString(),
                "--out", out.toString()), out, "missing.json");
        assertBadInput(run("--tokenizer", good, "--in", dir.resolve("nope.jsonl").toString(), "--out", out.toString()),
                out, "nope.jsonl");
        assertBadInput(run("--tokenizer", good, "--in", badJson.toString(), "--out", out.toString()), out, "line 2");
        assertBadInput(run("--tokenizer", good, "--in", in.toString(), "--out", out.toString()), out, "line 2");

        Path badTokenizer = dir.resolve("bad-tokenizer.json");
        Files.writeString(badTokenizer, Files.readString(Path.of(good)).replace("\"Fuse\"", "\"Fusion\""));
        assertBadInput(run("--tokenizer", badTokenizer.toString(), "--in", in.toString(), "--out", out.toString()),
                out, "Fusion");
        Path notJson = dir.resolve("not-json.json");
        Files.writeString(notJson, "{\"model\": ");
        assertBadInput(run("--tokenizer", notJson.toString(), "--in", in.toString(), "--out", out.toString()),
                out, "not-json.json");
        Files.write(in, new byte[] {'"', (byte) 0xC3, '"', '\n'});
        assertBadInput(run("--tokenizer", good, "--in", in.toString(), "--out", out.toString()), out, "UTF-8");
    }
}
