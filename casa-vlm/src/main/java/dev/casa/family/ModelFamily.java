package dev.casa.family;

import java.util.List;

/**
 * A model family (HF's {@code model_type}): its config records, how its tensors are bound, which blocks
 * it runs, and how images enter its prompts. One implementation per family package.
 */
public interface ModelFamily {

    /** The {@code model_type} values this family loads. */
    List<String> modelTypes();

    /** Binds and validates everything the directory holds; the caller closes {@link ModelParts#weights()} on failure. */
    ModelParts load(ModelDirectory dir);
}
