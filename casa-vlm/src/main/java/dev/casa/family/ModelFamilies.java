package dev.casa.family;

import dev.casa.core.config.ModelFormatException;
import dev.casa.family.casa.CasaFamily;
import dev.casa.family.qwen2vl.Qwen2VLFamily;
import dev.casa.family.smolvlm.SmolVLMFamily;
import dev.casa.family.text.TextOnlyFamily;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The families the library loads, chosen by config.json's {@code model_type}. */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(new CasaFamily(), new Qwen2VLFamily(), new SmolVLMFamily(), new TextOnlyFamily());
    private static final Map<String, ModelFamily> BY_TYPE = new LinkedHashMap<>();

    static {
        for (ModelFamily f : FAMILIES) {
            for (String type : f.modelTypes()) BY_TYPE.put(type, f);
        }
    }

    private ModelFamilies() {}

    /** Every supported {@code model_type}. */
    public static List<String> supportedModelTypes() {
        return new ArrayList<>(BY_TYPE.keySet());
    }

    /** The family of the directory's config.json; an unknown type is an error listing the supported ones. */
    public static ModelFamily of(ModelDirectory dir) {
        String type = dir.config().string("model_type");
        if (type == null) {
            throw dir.config().error("model_type", "missing required key (supported: " + String.join(", ", supportedModelTypes()) + ")");
        }
        ModelFamily family = BY_TYPE.get(type);
        if (family == null) {
            throw dir.config().error("model_type", "unsupported model type '" + type + "' (supported: "
                    + String.join(", ", supportedModelTypes()) + ")");
        }
        return family;
    }

    /** Loads the directory with its family. */
    public static ModelParts load(ModelDirectory dir) {
        return of(dir).load(dir);
    }

    static ModelFormatException unsupported(String what) {
        return new ModelFormatException(what);
    }
}
