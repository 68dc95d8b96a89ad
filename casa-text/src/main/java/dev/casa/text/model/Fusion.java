package dev.casa.text.model;

/** How images reach the language model (config.json {@code fusion}). */
public enum Fusion {
    /** CASA layers: images are keys/values of a per-window attention, never in the KV cache. */
    CASA,
    /** Token insertion (LLaVA baseline): image embeddings take positions in the stream and the KV cache. */
    INSERTION;

    static Fusion parse(String s) {
        return switch (s) {
            case "casa" -> CASA;
            case "insertion" -> INSERTION;
            default -> throw new IllegalArgumentException("unknown fusion '" + s + "' (expected casa or insertion)");
        };
    }
}
