package dev.casa.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.text.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code casa tokenize} (forward-cli.md): each input line is a JSON string; each output line is
 * {@code {"ids": [...], "decoded": "..."}}. On bad input: one line on stderr, exit status 2 and
 * no output file (the output is written to a temporary file and moved into place at the end).
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encode JSON-string lines with a tokenizer.json; write {\"ids\", \"decoded\"} lines.")
public final class TokenizeCommand implements Callable<Integer> {
    static final int BAD_INPUT = 2;

    @Option(names = "--tokenizer", required = true, paramLabel = "tokenizer.json", description = "HF tokenizer.json")
    Path tokenizerFile;

    @Option(names = "--in", required = true, paramLabel = "STRINGS.jsonl", description = "one JSON string per line")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "IDS.jsonl", description = "output, one JSON object per line")
    Path out;

    @Option(names = "--special", description = "add the post-processor's special tokens (HF add_special_tokens=True)")
    boolean special;

    @Spec
    CommandSpec spec;

    /** A problem with the user's input, reported as one line. */
    private static final class BadInput extends Exception {
        BadInput(String message) { super(message); }
    }

    @Override
    public Integer call() {
        Path temp = null;
        try {
            Tokenizer tokenizer = loadTokenizer();
            Path dir = out.toAbsolutePath().getParent();
            temp = Files.createTempFile(dir, "." + out.getFileName() + ".", ".tmp");
            convert(tokenizer, temp);
            Files.move(temp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            return 0;
        } catch (BadInput e) {
            return fail(e.getMessage());
        } catch (NoSuchFileException e) {
            return fail("no such file or directory: " + e.getFile());
        } catch (IOException e) {
            return fail("I/O error: " + e);
        } finally {
            if (temp != null) {
                try { Files.deleteIfExists(temp); } catch (IOException ignored) { /* best effort */ }
            }
        }
    }

    private int fail(String message) {
        spec.commandLine().getErr().println("casa tokenize: " + message.replace('\n', ' '));
        spec.commandLine().getErr().flush();
        return BAD_INPUT;
    }

    private Tokenizer loadTokenizer() throws BadInput {
        try {
            return Tokenizer.fromFile(tokenizerFile);
        } catch (IllegalArgumentException e) {
            throw new BadInput(e.getMessage());
        }
    }

    private void convert(Tokenizer tokenizer, Path target) throws BadInput, IOException {
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        try (BufferedReader reader = Files.newBufferedReader(in, StandardCharsets.UTF_8);
             BufferedWriter writer = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = readLine(reader, number + 1)) != null) {
                number++;
                String text = parseLine(json, line, number);
                int[] ids = tokenizer.encode(text, special);
                ObjectNode result = json.createObjectNode();
                ArrayNode idArray = result.putArray("ids");
                for (int id : ids) idArray.add(id);
                result.put("decoded", tokenizer.decode(ids, false));
                writer.write(json.writeValueAsString(result));
                writer.write('\n');
            }
        } catch (NoSuchFileException e) {
            throw new BadInput("input file not found: " + in);
        } catch (CharacterCodingException e) {
            throw new BadInput(in + ": not valid UTF-8");
        }
    }

    /**
     * Longest input line: Jackson refuses longer JSON strings anyway (StreamReadConstraints: 20,000,000
     * characters), and a file without line breaks ({@code /dev/zero}) must not fill the heap first.
     */
    static final int MAX_LINE_CHARS = 1 << 25;

    /** The next line, or null at the end; a line over {@link #MAX_LINE_CHARS} is bad input. */
    private String readLine(BufferedReader reader, int number) throws IOException, BadInput {
        try {
            return BoundedLines.readLine(reader, MAX_LINE_CHARS);
        } catch (BoundedLines.TooLong e) {
            throw new BadInput(in + " line " + number + ": " + e.getMessage());
        }
    }

    private String parseLine(ObjectMapper json, String line, int number) throws BadInput {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadInput(in + " line " + number + ": bad JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isTextual()) {
            throw new BadInput(in + " line " + number + ": expected a JSON string, found "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return node.asText();
    }

    /** For running the command alone; the {@code casa} launcher registers it as a subcommand. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new TokenizeCommand()).execute(args));
    }
}
