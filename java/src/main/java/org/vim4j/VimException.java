package org.vim4j;

/**
 * The one exception type of vim4j's API: bad files, bad inputs, unavailable backends.
 * Messages name the problem (file, tensor, expected vs actual) so a CLI can print them as one line.
 */
public class VimException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VimException(String message) {
        super(message);
    }

    public VimException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * {@code e} itself when it is a VimException (its message already names the problem); otherwise a VimException that
     * says {@code what} failed without exposing an internal exception's class or text to the user. The original stays
     * the cause, for {@code -Dvim4j.debug=true} and bug reports.
     */
    public static VimException unexpected(String what, Throwable e) {
        if (e instanceof VimException v) {
            return v;
        }
        String why = e instanceof OutOfMemoryError ? "it needs more memory than this JVM may use"
                : e instanceof StackOverflowError ? "it is nested too deeply"
                : "an internal check failed (this is a vim4j bug: please report it with the input; -Dvim4j.debug=true "
                        + "shows the details)";
        return new VimException(what + ": " + why, e);
    }
}
