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
}
