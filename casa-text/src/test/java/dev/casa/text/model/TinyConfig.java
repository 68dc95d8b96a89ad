package dev.casa.text.model;

import dev.casa.core.config.JsonConfig;
import dev.casa.text.casa.CasaConfig;
import dev.casa.text.casa.ImageRope;
import dev.casa.text.lm.TextConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What the decoder tests need of our format's config.json (model-format.md §2): the fusion, the text
 * config and the resolved CASA settings. Parsed with the library's own records.
 */
public record TinyConfig(Fusion fusion, TextConfig text, CasaSpec casa) {

    public enum Fusion { CASA, INSERTION }

    /** casa_config resolved against the text config. */
    public record CasaSpec(int[] layers, boolean shareProjections, ImageRope imageRope) {
        public boolean isCasaLayer(int l) { return Arrays.binarySearch(layers, l) >= 0; }
    }

    public static TinyConfig parse(String json, String source) {
        return of(JsonConfig.parse(json, source));
    }

    public static TinyConfig load(Path dir) {
        return of(JsonConfig.read(dir.resolve("config.json")));
    }

    private static TinyConfig of(JsonConfig c) {
        TextConfig text = c.bind("text_config", TextConfig.class);
        Fusion fusion = "casa".equals(c.string("fusion")) ? Fusion.CASA : Fusion.INSERTION;
        CasaSpec casa = null;
        if (fusion == Fusion.CASA) {
            CasaConfig cc = c.bind("casa_config", CasaConfig.class);
            casa = new CasaSpec(cc.layers(text.numHiddenLayers()), cc.shareProjections(), cc.imageRope(text.multimodalRope()));
        }
        return new TinyConfig(fusion, text, casa);
    }
}
