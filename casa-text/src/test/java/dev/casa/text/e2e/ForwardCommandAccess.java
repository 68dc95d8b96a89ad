package dev.casa.text.e2e;

import dev.casa.text.cli.ForwardCommand;
import java.io.IOException;
import java.nio.file.Path;

/** Bridge to the package-private request parser of {@code casa forward}. */
final class ForwardCommandAccess {
    private ForwardCommandAccess() {}

    static ForwardCommand.Request parse(Path file) throws IOException {
        return ForwardCommand.parseRequest(file);
    }
}
