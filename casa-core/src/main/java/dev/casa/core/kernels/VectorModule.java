package dev.casa.core.kernels;

/**
 * The kernels use the Vector API, which lives in the incubating module {@code jdk.incubator.vector}: the JVM
 * resolves it only when started with {@code --add-modules jdk.incubator.vector}. Without it the first kernel
 * fails with a bare {@code NoClassDefFoundError}; entry points call {@link #require()} first to say which flag
 * is missing instead. Touches no Vector API class itself.
 */
public final class VectorModule {
    public static final String NAME = "jdk.incubator.vector";

    /** The JVM flag that adds the module. */
    public static final String FLAG = "--add-modules " + NAME;

    private VectorModule() {}

    /** Whether the module is resolved in the layer this library was loaded in (or a parent of it, such as the boot layer). */
    public static boolean available() {
        ModuleLayer layer = VectorModule.class.getModule().getLayer();
        return (layer != null ? layer : ModuleLayer.boot()).findModule(NAME).isPresent();
    }

    /**
     * @throws IllegalStateException naming the missing JVM flag when the module is not available
     */
    public static void require() {
        if (!available()) {
            throw new IllegalStateException("the JVM was started without " + FLAG + ": casa-java's kernels need the Vector API;"
                    + " start java with " + FLAG + " (Maven Surefire: <argLine>" + FLAG + "</argLine>)");
        }
    }
}
