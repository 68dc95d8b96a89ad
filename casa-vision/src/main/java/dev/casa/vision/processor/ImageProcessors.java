package dev.casa.vision.processor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.casa.core.config.JsonConfig;
import dev.casa.core.kernels.ThreadPool;
import dev.casa.vision.image.PreprocessorConfig;
import java.nio.file.Path;
import java.util.List;

/** Chooses the image processor a preprocessor_config.json asks for. */
public final class ImageProcessors {
    /** The {@code image_processor_type} values understood, in the order error messages list them. */
    public static final List<String> SUPPORTED_TYPES = List.of(
            "Qwen2VLImageProcessor", "Idefics3ImageProcessor", "SmolVLMImageProcessor", "SiglipImageProcessor");

    private ImageProcessors() {}

    /**
     * The processor for {@code image_processor_type}: Qwen2-VL/Qwen2.5-VL, Idefics3 (and SmolVLM, the
     * same code), or SigLIP (also when the key is absent).
     *
     * @throws ImageProcessingException for an unreadable file, an unknown type (the message lists the
     *                                  supported ones) or a bad value (the message names file and key)
     */
    public static ImageProcessor load(Path preprocessorConfigJson) {
        return load(preprocessorConfigJson, null);
    }

    /**
     * {@link #load(Path)}, with {@code pool} (null: the calling thread) for the processors whose resizes are large
     * enough to split between threads (Idefics3/SmolVLM: up to 2048×2048 LANCZOS).
     */
    public static ImageProcessor load(Path preprocessorConfigJson, ThreadPool pool) {
        Path file = preprocessorConfigJson;
        JsonConfig config = ConfigJson.read(file);
        JsonNode type = config.node("image_processor_type");
        if (type == null || type.isNull()) {
            return siglip(file);
        }
        if (!type.isTextual()) {
            throw new ImageProcessingException(file + ": image_processor_type: expected a string, found "
                    + ConfigJson.describe(type));
        }
        return switch (type.textValue()) {
            case "Qwen2VLImageProcessor" -> new Qwen2VLImageProcessor(
                    ConfigJson.bind(config, Qwen2VLProcessorConfig.class));
            case "Idefics3ImageProcessor", "SmolVLMImageProcessor" -> new Idefics3ImageProcessor(
                    ConfigJson.bind(config, Idefics3ProcessorConfig.class), pool);
            case "SiglipImageProcessor" -> siglip(file);
            default -> throw new ImageProcessingException(file + ": image_processor_type: unsupported \""
                    + type.textValue() + "\"; supported: " + String.join(", ", SUPPORTED_TYPES));
        };
    }

    private static ImageProcessor siglip(Path file) {
        try {
            return new SiglipImageProcessor(PreprocessorConfig.load(file));
        } catch (ImageProcessingException e) {
            throw new ImageProcessingException(file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ImageProcessingException(e.getMessage(), e); // already names the file
        }
    }

    /**
     * What {@code casa preprocess --meta-out} writes (hf-models.md): {@code {"image_grid_thw": [t, h, w]}}
     * for Qwen-VL, {@code {"rows": r, "cols": c}} for Idefics3/SmolVLM, {@code {}} for SigLIP. Spacing as
     * Python's {@code json.dumps}.
     */
    public static String metaJson(ImageLayout layout) {
        return switch (layout) {
            case ImageLayout.PatchGrid g -> "{\"image_grid_thw\": [" + g.t() + ", " + g.h() + ", " + g.w() + "]}";
            case ImageLayout.Tiles t -> "{\"rows\": " + t.rows() + ", \"cols\": " + t.cols() + "}";
            case ImageLayout.Fixed s -> "{}";
        };
    }
}
