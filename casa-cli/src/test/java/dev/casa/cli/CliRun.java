package dev.casa.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs {@link CasaCli#run} in the test's JVM as the command line would: standard input given, standard output and
 * error (the console streams and {@code System.out}/{@code System.err}) captured, everything restored afterwards.
 */
final class CliRun {
    private CliRun() {}

    /** The exit status and what the command printed. */
    record Result(int status, String out, String err) {}

    /** With empty standard input. */
    static Result run(String... args) {
        return withStdin(InputStream.nullInputStream(), args);
    }

    static Result withStdin(String stdin, String... args) {
        return withStdin(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
    }

    static Result withStdin(InputStream stdin, String... args) {
        PrintStream oldOut = ConsoleOutput.OUT, oldErr = ConsoleOutput.ERR, sysOut = System.out, sysErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        ConsoleOutput.OUT = outStream;
        ConsoleOutput.ERR = errStream;
        System.setOut(outStream);
        System.setErr(errStream);
        System.setIn(stdin);
        try {
            int status = CasaCli.run(args);
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            ConsoleOutput.OUT = oldOut;
            ConsoleOutput.ERR = oldErr;
            System.setOut(sysOut);
            System.setErr(sysErr);
            System.setIn(oldIn);
        }
    }
}
