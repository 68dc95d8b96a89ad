package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.ForwardRequest;
import dev.casa.Parity;
import dev.casa.core.io.Npy;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import dev.casa.vision.processor.ProcessedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code casa forward} (forward-cli.md, hf-models.md): logits of a request as .npy, for parity checks. */
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
            List<RgbImage> images = new ArrayList<>();
            for (Path p : req.images()) {
                if (!Files.exists(p)) throw new IllegalArgumentException("image not found: " + p);
                images.add(ImageDecoder.decode(p));
            }
            int[] tokens = req.tokens() != null ? req.tokens() : model.tokenizer().encode(req.text(), true);
            float[] logits = Parity.logits(model, req, tokens, images, mode.equals("prefill"));
            if (pixelsOut != null) writePixels(model, images);
            try {
                Npy.writeFloats(out, logits, tokens.length, model.textConfig().vocabSize());
            } catch (IOException e) {
                if (pixelsOut != null) Files.deleteIfExists(pixelsOut);
                throw e;
            }
            return 0;
        }
    }

    /**
     * The processed pixels of every image: stacked [N, C, H, W] for fixed-size processors, and the images'
     * arrays concatenated along their first axis otherwise (HF's batch layout for Qwen-VL patches and tiles).
     */
    private void writePixels(CasaModel model, List<RgbImage> images) throws IOException {
        if (!model.hasVision()) {
            Npy.writeFloats(pixelsOut, new float[0], 0, 3, 0, 0);
            return;
        }
        List<ProcessedImage> processed = new ArrayList<>();
        long total = 0;
        for (RgbImage img : images) {
            ProcessedImage p = model.images().process(img);
            processed.add(p);
            total += p.pixels().length;
        }
        float[] all = new float[Math.toIntExact(total)];
        int at = 0;
        for (ProcessedImage p : processed) {
            System.arraycopy(p.pixels(), 0, all, at, p.pixels().length);
            at += p.pixels().length;
        }
        long[] shape;
        if (processed.isEmpty()) {
            shape = new long[] {0, 3, 0, 0};
        } else if (processed.get(0).shape().length == 3) {
            long[] one = processed.get(0).shape();
            shape = new long[] {processed.size(), one[0], one[1], one[2]};
        } else {
            shape = processed.get(0).shape();
            long rows = 0;
            for (ProcessedImage p : processed) rows += p.shape()[0];
            shape[0] = rows;
        }
        Npy.writeFloats(pixelsOut, all, shape);
    }
}
