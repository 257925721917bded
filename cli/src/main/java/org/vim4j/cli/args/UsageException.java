package org.vim4j.cli.args;

/**
 * A command line that does not fit its command: an unknown option, a missing or malformed value, a wrong number of
 * arguments. The message names the argument and the problem; {@code Main} prints it with a pointer to the command's
 * help.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message, null, false, false);
    }
}
