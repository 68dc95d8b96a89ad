package dev.casa.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code casa} command line. Errors are one line on stderr and a non-zero exit (2 for bad
 * input); {@code --debug} adds the stack trace.
 */
@Command(name = "casa", mixinStandardHelpOptions = true, version = "casa-java 0.1.0-SNAPSHOT",
        description = "Run CASA vision-language models on the CPU.",
        subcommands = {DescribeCommand.class, ChatCommand.class, CaptionCommand.class, InfoCommand.class,
            ForwardCommand.class, TokenizeCommand.class, PreprocessCommand.class, ServeCommand.class})
public final class CasaCli implements Runnable {
    static final int BAD_INPUT = 2;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing command (try --help)");
    }

    /** Runs the command line and returns the exit status. */
    public static int run(String[] args) {
        CommandLine cli = new CommandLine(new CasaCli());
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
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
    }

    /** The exception's message on one line, with its type when it has no message. */
    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
        if (t instanceof OutOfMemoryError) m = "out of memory (raise -Xmx): " + m;
        return m.replace('\n', ' ').replace('\r', ' ');
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }
}
