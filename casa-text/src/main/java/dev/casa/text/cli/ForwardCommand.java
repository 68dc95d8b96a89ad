package dev.casa.text.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.casa.core.io.Npy;
import dev.casa.text.CasaModel;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code casa forward} (forward-cli.md): logits of a request as .npy, for parity checks. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run a request through the model and write float32 logits [T, vocab] as .npy.")
public final class ForwardCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--request", required = true, paramLabel = "REQUEST.json")
    Path request;

    @Option(names = "--out", required = true, paramLabel = "LOGITS.npy")
    Path out;

    @Option(names = "--mode", paramLabel = "prefill|decode", defaultValue = "prefill",
            description = "prefill: one pass; decode: token by token through the KV cache")
    String mode;

    @Option(names = "--pixels-out", paramLabel = "PIXELS.npy", description = "also write the preprocessed images")
    Path pixelsOut;

    /** A parsed request.json. */
    public record Request(int[] tokens, String text, List<Path> images, int[] insertAt) {}


    @Override
    public Integer call() throws IOException {
        if (!mode.equals("prefill") && !mode.equals("decode")) {
            throw new IllegalArgumentException("--mode must be prefill or decode, got '" + mode + "'");
        }
        Request req = parse(request);
        try (CasaModel model = modelOptions.load()) {
            int[] tokens = req.tokens() != null ? req.tokens() : model.tokenizer().encode(req.text(), true);
            for (int p : req.insertAt()) {
                if (p > tokens.length) throw new IllegalArgumentException(request + ": insert_at " + p + " is beyond the " + tokens.length + " tokens");
            }
            List<RgbImage> images = new ArrayList<>();
            for (Path p : req.images()) {
                if (!Files.exists(p)) throw new IllegalArgumentException("image not found: " + p);
                images.add(ImageDecoder.decode(p));
            }
            if (!images.isEmpty() && !model.hasVision()) throw new IllegalArgumentException("the request has images but the model has no vision tower");
            float[] logits = model.forward(tokens, images, req.insertAt(), mode.equals("decode"));
            float[] pixels = null;
            if (pixelsOut != null) {
                var pc = model.hasVision() ? model.preprocessor().config() : null;
                int h = pc == null ? 0 : pc.height(), w = pc == null ? 0 : pc.width();
                int per = 3 * h * w;
                pixels = new float[per * images.size()];
                for (int i = 0; i < images.size(); i++) System.arraycopy(model.pixels(images.get(i)), 0, pixels, i * per, per);
                Npy.writeFloats(pixelsOut, pixels, images.size(), 3, h, w);
            }
            try {
                Npy.writeFloats(out, logits, tokens.length, model.config().text().vocabSize());
            } catch (IOException e) {
                if (pixelsOut != null) Files.deleteIfExists(pixelsOut);
                throw e;
            }
            return 0;
        }
    }

    /**
     * Reads and checks a request.json (forward-cli.md); image paths are resolved against its directory.
     * Bad input is an IllegalArgumentException naming the problem.
     */
    public static Request parse(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("request file not found: " + file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": bad JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
        int[] tokens = null;
        String text = null;
        if (root.has("tokens")) {
            JsonNode t = root.get("tokens");
            if (!t.isArray()) throw new IllegalArgumentException(file + ": \"tokens\" must be an array of integers");
            tokens = new int[t.size()];
            for (int i = 0; i < t.size(); i++) {
                if (!t.get(i).isIntegralNumber() || !t.get(i).canConvertToInt()) {
                    throw new IllegalArgumentException(file + ": tokens[" + i + "] is not an integer token id");
                }
                tokens[i] = t.get(i).asInt();
            }
        } else if (root.has("text")) {
            if (!root.get("text").isTextual()) throw new IllegalArgumentException(file + ": \"text\" must be a string");
            text = root.get("text").asText();
        } else {
            throw new IllegalArgumentException(file + ": needs \"tokens\" or \"text\"");
        }
        List<Path> images = new ArrayList<>();
        List<Integer> points = new ArrayList<>();
        JsonNode imgs = root.path("images");
        if (!imgs.isMissingNode() && !imgs.isNull()) {
            if (!imgs.isArray()) throw new IllegalArgumentException(file + ": \"images\" must be an array");
            Path base = file.toAbsolutePath().getParent();
            for (int i = 0; i < imgs.size(); i++) {
                JsonNode img = imgs.get(i);
                if (!img.path("path").isTextual()) throw new IllegalArgumentException(file + ": images[" + i + "].path must be a string");
                if (!img.path("insert_at").isIntegralNumber()) throw new IllegalArgumentException(file + ": images[" + i + "].insert_at must be an integer");
                int p = img.get("insert_at").asInt();
                if (p < 0) throw new IllegalArgumentException(file + ": images[" + i + "].insert_at is negative");
                if (!points.isEmpty() && p < points.get(points.size() - 1)) {
                    throw new IllegalArgumentException(file + ": images[" + i + "].insert_at " + p + " is before the previous image's");
                }
                images.add(base.resolve(img.get("path").asText()));
                points.add(p);
            }
        }
        return new Request(tokens, text, images, points.stream().mapToInt(Integer::intValue).toArray());
    }
}
