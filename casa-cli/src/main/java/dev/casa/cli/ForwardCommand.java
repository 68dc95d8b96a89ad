package dev.casa.cli;

import dev.casa.core.io.Npy;
import dev.casa.CasaModel;
import dev.casa.ForwardRequest;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
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


    @Override
    public Integer call() throws IOException {
        if (!mode.equals("prefill") && !mode.equals("decode")) {
            throw new IllegalArgumentException("--mode must be prefill or decode, got '" + mode + "'");
        }
        ForwardRequest req = ForwardRequest.parse(request);
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
}
