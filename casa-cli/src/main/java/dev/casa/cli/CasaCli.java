package dev.casa.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code casa} command line. Errors are one line on stderr and exit status 2, whatever was thrown
 * (exceptions, and errors such as {@code OutOfMemoryError} or {@code StackOverflowError} that bypass picocli's
 * handlers); {@code --debug} adds the stack trace. Arguments are taken literally: picocli's {@code @file}
 * expansion is off, so no argument makes the command line read a file it was not asked to.
 */
@Command(name = "casa", mixinStandardHelpOptions = true, version = "casa-java 0.1.0-SNAPSHOT",
        description = "Run CASA vision-language models on the CPU.",
        subcommands = {DescribeCommand.class, ChatCommand.class, CaptionCommand.class, InfoCommand.class,
            ForwardCommand.class, TokenizeCommand.class, PreprocessCommand.class, ServeCommand.class, QuantizeCommand.class})
public final class CasaCli implements Runnable {
    static final int BAD_INPUT = 2;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing command (try --help)");
    }

    /** Runs the command line and returns the exit status. */
    public static int run(String[] args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cli = null;
        try {
            cli = new CommandLine(new CasaCli());
            // "@file" arguments would make picocli read any file named on the command line (and echo it in errors).
            cli.setExpandAtFiles(false);
            cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
                PrintWriter err = cmd.getErr();
                err.println("casa " + cmd.getCommandName() + ": error: " + oneLine(ex));
                if (debug) ex.printStackTrace(err);
                err.flush();
                return BAD_INPUT;
            });
            cli.setParameterExceptionHandler((ex, strings) -> {
                PrintWriter err = ex.getCommandLine().getErr();
                err.println("casa: " + oneLine(ex) + " (see --help)");
                err.flush();
                return BAD_INPUT;
            });
            return cli.execute(args);
        } catch (Throwable t) {
            // picocli hands only Exceptions to the handler above: Errors (OutOfMemoryError, StackOverflowError, ...)
            // arrive here, as would anything thrown while setting up.
            try {
                PrintWriter err = cli != null ? cli.getErr() : new PrintWriter(System.err, true);
                err.println(commandName(cli) + ": error: " + oneLine(t));
                if (debug) t.printStackTrace(err);
                err.flush();
            } catch (Throwable again) {
                // Out of memory even for the message: a line prepared in advance.
                System.err.write(OUT_OF_MEMORY, 0, OUT_OF_MEMORY.length);
                System.err.flush();
            }
            return BAD_INPUT;
        }
    }

    /**
     * Heap kept aside until the JVM exits: after an OutOfMemoryError the heap may still be full (worker threads keep
     * their scratch), and even exiting allocates. Released first thing in {@link Launcher#exit}.
     */
    static volatile byte[] reserve = new byte[512 * 1024];

    static final byte[] OUT_OF_MEMORY = "casa: error: out of memory (raise -Xmx)\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** "casa describe" for an error in a subcommand, else "casa". */
    private static String commandName(CommandLine cli) {
        try {
            CommandLine.ParseResult parsed = cli == null ? null : cli.getParseResult();
            if (parsed != null && parsed.hasSubcommand()) return "casa " + parsed.subcommand().commandSpec().name();
        } catch (RuntimeException ignored) {
            // the plain name will do
        }
        return "casa";
    }

    /** The exception's message on one line, with its type when it has no message (or is an Error). */
    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
        if (t instanceof OutOfMemoryError) m = "out of memory (raise -Xmx): " + m;
        else if (t instanceof StackOverflowError) m = "stack overflow (input nested too deeply; or raise -Xss): " + m;
        else if (t instanceof Error && !m.equals(t.getClass().getSimpleName())) m = t.getClass().getSimpleName() + ": " + m;
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    public static void main(String[] args) {
        int status = BAD_INPUT;
        try {
            Launcher.exitWithLauncher();
            status = run(args);
        } catch (Throwable t) {
            writeQuietly(OUT_OF_MEMORY); // out of memory before the command ran
        }
        Launcher.exit(status);
    }

    /** Writes a prepared line; when even that fails (the heap is exhausted), nothing more can be said. */
    static void writeQuietly(byte[] line) {
        try {
            System.err.write(line, 0, line.length);
            System.err.flush();
        } catch (Throwable ignored) {
            // the exit status still tells
        }
    }
}
