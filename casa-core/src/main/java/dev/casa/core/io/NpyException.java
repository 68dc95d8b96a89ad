package dev.casa.core.io;

import java.io.IOException;

/** A {@code .npy} file that cannot be read; the message names the file and the problem. */
public class NpyException extends IOException {
    public NpyException(String message) { super(message); }
}
