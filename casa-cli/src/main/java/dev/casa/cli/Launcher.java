package dev.casa.cli;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The jar's entry point. The kernels need the incubating {@code jdk.incubator.vector} module, which a
 * jar manifest cannot add; when the JVM was started without it, this relaunches the same command
 * with {@code --add-modules jdk.incubator.vector} so that {@code java -jar casa.jar ...} just works.
 * Touches no class that needs the module.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            System.exit(CasaCli.run(args));
            return;
        }
        System.exit(relaunch(args));
    }

    private static int relaunch(String[] args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        // Keep the user's JVM options (heap size, -Dcasa.threads, ...).
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-XX:+IgnoreUnrecognizedVMOptions");
        cmd.add("-Dcasa.relaunched=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CasaCli.class.getName());
        for (String a : args) cmd.add(a);
        if (Boolean.getBoolean("casa.relaunched")) {
            System.err.println("casa: error: the JVM lacks jdk.incubator.vector even with --add-modules (JDK 25 needed)");
            return 2;
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        // A signal to this launcher (kill PID) must reach the real JVM too: `casa serve` runs until stopped.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            p.destroy();
            try {
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "casa-relaunch-stop"));
        return p.waitFor();
    }

    /** The directory the running jar (or classes directory) is in. */
    static Path codeLocation() {
        try {
            return Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            return Path.of(System.getProperty("java.class.path").split(File.pathSeparator)[0]);
        }
    }
}
