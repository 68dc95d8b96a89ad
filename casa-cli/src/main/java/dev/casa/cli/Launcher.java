package dev.casa.cli;

import dev.casa.core.kernels.VectorModule;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The jar's entry point. The kernels need the incubating {@code jdk.incubator.vector} module, which a jar manifest
 * cannot add (JDK 25's launcher reads {@code Main-Class}, {@code Launcher-Agent-Class}, {@code Add-Exports},
 * {@code Add-Opens} and {@code Enable-Native-Access}; there is no {@code Add-Modules}). When the JVM was started
 * without it, this relaunches the same command in a child JVM with {@code --add-modules jdk.incubator.vector}, so
 * that {@code java -jar casa.jar ...} just works, and ties the two processes together:
 * <ul>
 *   <li>the launcher stops the child when it is stopped itself (SIGTERM, SIGINT, SIGHUP: a shutdown hook destroys
 *       the child, forcibly after {@link #CHILD_GRACE_SECONDS} seconds);</li>
 *   <li>the child exits when the launcher is gone, even if it was killed with SIGKILL and ran no hook: it polls
 *       its parent every {@link #PARENT_POLL_MILLIS} ms ({@link #exitWithLauncher()}).</li>
 * </ul>
 * Touches no class that needs the module.
 */
public final class Launcher {
    /** Set in the child: the launcher's process id. */
    static final String LAUNCHER_PID = "casa.launcher.pid";
    static final long PARENT_POLL_MILLIS = 200;
    static final long CHILD_GRACE_SECONDS = 10;

    private Launcher() {}

    public static void main(String[] args) {
        int status = CasaCli.BAD_INPUT;
        try {
            status = VectorModule.available() ? CasaCli.run(args) : relaunch(args);
        } catch (Throwable t) {
            try {
                System.err.println("casa: error: " + CasaCli.oneLine(t));
            } catch (Throwable again) {
                // Even the message failed (the heap is exhausted): the line prepared at startup.
                CasaCli.writeQuietly(CasaCli.OUT_OF_MEMORY);
            }
        }
        exit(status);
    }

    /** {@code System.exit}, which can itself run out of memory; then a halt with the same status. */
    static void exit(int status) {
        CasaCli.reserve = null;
        try {
            System.exit(status);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(status);
        }
    }

    private static int relaunch(String[] args) throws Exception {
        if (System.getProperty(LAUNCHER_PID) != null) {
            System.err.println("casa: error: the JVM lacks jdk.incubator.vector even with --add-modules (JDK 25 needed)");
            return CasaCli.BAD_INPUT;
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin);
        cmd.add("--add-modules");
        cmd.add(VectorModule.NAME);
        cmd.add("--enable-native-access=ALL-UNNAMED");
        // Keep the user's JVM options (heap size, -Dcasa.threads, ...).
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-XX:+IgnoreUnrecognizedVMOptions");
        cmd.add("-D" + LAUNCHER_PID + "=" + ProcessHandle.current().pid());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CasaCli.class.getName());
        for (String a : args) cmd.add(a);
        Process child = new ProcessBuilder(cmd).inheritIO().start();
        Thread stopChild = new Thread(() -> stop(child), "casa-stop-child");
        Runtime.getRuntime().addShutdownHook(stopChild);
        int status = child.waitFor();
        return status;
    }

    /** Asks the child to terminate (SIGTERM, so that its own hooks run), then kills it if it does not. */
    private static void stop(Process child) {
        if (!child.isAlive()) return;
        child.destroy();
        try {
            if (child.waitFor(CHILD_GRACE_SECONDS, TimeUnit.SECONDS)) return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        child.destroyForcibly();
    }

    /**
     * In a JVM relaunched by the launcher: exits (status 143, as for SIGTERM) as soon as the launcher process is gone,
     * however it ended. Does nothing in a JVM started otherwise.
     */
    static void exitWithLauncher() {
        String pid = System.getProperty(LAUNCHER_PID);
        if (pid == null) return;
        long launcher = Long.parseLong(pid);
        // If the launcher ended before we got here, our parent is already someone else (init, a subreaper).
        if (!launcherAlive(launcher)) Runtime.getRuntime().halt(143);
        Thread watch = new Thread(() -> {
            while (true) {
                try {
                    if (!launcherAlive(launcher)) break;
                    Thread.sleep(PARENT_POLL_MILLIS);
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    // Out of memory for a moment (the main thread is failing): keep watching.
                }
            }
            System.exit(143);
        }, "casa-launcher-watch");
        watch.setDaemon(true);
        watch.start();
    }

    /**
     * Whether our parent is still the launcher. A process whose parent dies is re-parented at once, while the dead
     * parent may linger as a zombie (still "alive" to {@link ProcessHandle#isAlive()}) until it is reaped.
     */
    private static boolean launcherAlive(long launcher) {
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        return parent.isPresent() && parent.get().pid() == launcher && parent.get().isAlive();
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
