package dev.casa.reliability;

import dev.casa.CasaModel;
import java.nio.file.Path;

/**
 * Run by {@link MissingVectorModuleTest} in a JVM of its own, started with or without
 * {@code --add-modules jdk.incubator.vector}: prints what a kernel and {@code CasaModel.load} do, one line each.
 */
public final class LoadWithoutVectorModule {
    private LoadWithoutVectorModule() {}

    public static void main(String[] args) {
        try {
            dev.casa.core.kernels.VectorMath.add(new float[4], 0, new float[4], 0, 4);
            System.out.println("kernel: ran");
        } catch (Throwable t) {
            System.out.println("kernel: " + t.getClass().getName());
        }
        try (CasaModel model = CasaModel.load(Path.of(args[0]))) {
            System.out.println("load: " + model.family());
        } catch (Throwable t) {
            System.out.println("load: " + t.getClass().getName() + ": " + t.getMessage());
        }
    }
}
