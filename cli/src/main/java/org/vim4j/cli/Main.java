package org.vim4j.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import org.vim4j.VimException;

/**
 * The {@code vim4j} command line. Every failure is one line on stderr, {@code vim4j <command>: error: <what>},
 * naming the input and the problem, and exit status 2: bad arguments, bad files, and also anything unexpected (an
 * internal exception is reported as such, never as a Java class name or a stack trace; {@code -Dvim4j.debug=true}
 * prints the trace for a bug report).
 */
@Command(name = "vim4j", mixinStandardHelpOptions = true, version = "vim4j 0.1.0",
        description = "Vision Mamba (Vim) inference on the JVM.",
        subcommands = {ClassifyCommand.class, FeaturesCommand.class, EvalCommand.class, InferCommand.class,
                InfoCommand.class, ConvertCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    /** Exit status of every failure. */
    static final int FAILED = 2;
    /** Longest error line printed (a message may quote names read from a hostile file). */
    static final int MAX_MESSAGE = 1000;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** {@code vim4j} alone: there is nothing to do. */
    @Override
    public Integer call() {
        System.err.println("vim4j: error: no command given (see 'vim4j --help')");
        return FAILED;
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        try {
            OneLineLog.install();
            CommandLine cli = new CommandLine(new Main());
            cli.registerConverter(Path.class, Main::path);
            cli.setParameterExceptionHandler((ex, a) -> {
                CommandLine cmd = ex.getCommandLine();
                String name = cmd.getCommandSpec().qualifiedName();
                cmd.getErr().println(name + ": error: " + clean(ex.getMessage()) + " (see '" + name + " --help')");
                return FAILED;
            });
            cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": error: " + oneLine(ex, args));
                debug(ex);
                return FAILED;
            });
            return cli.execute(args);
        } catch (Throwable t) { // an Error out of a command (picocli passes those through), or picocli itself failing
            System.err.println("vim4j: error: " + oneLine(t, args));
            debug(t);
            return FAILED;
        }
    }

    /**
     * vim4j's log records (e.g. which backend was chosen, and why not a faster one) as one line each on the current
     * stderr, {@code vim4j: warning: ...}, instead of java.util.logging's two-line form with a timestamp and the
     * logging class.
     */
    static final class OneLineLog extends java.util.logging.Handler {
        static synchronized void install() {
            java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
            for (java.util.logging.Handler h : root.getHandlers()) {
                if (h instanceof OneLineLog) {
                    return;
                }
                if (h instanceof java.util.logging.ConsoleHandler) {
                    root.removeHandler(h);
                }
            }
            root.addHandler(new OneLineLog());
        }

        private final java.util.logging.Formatter text = new java.util.logging.SimpleFormatter();

        @Override
        public void publish(java.util.logging.LogRecord r) {
            if (r.getLevel().intValue() >= java.util.logging.Level.INFO.intValue()) {
                System.err.println("vim4j: " + r.getLevel().getName().toLowerCase(java.util.Locale.ROOT) + ": "
                        + clean(text.formatMessage(r)));
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
        }
    }

    private static void debug(Throwable t) {
        if (Boolean.getBoolean("vim4j.debug")) {
            t.printStackTrace();
        }
    }

    /** Paths are converted here, so that an impossible one (a NUL byte) is an argument error that says why. */
    private static Path path(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new CommandLine.TypeConversionException("'" + s + "' is not a valid path (" + e.getReason() + ")");
        }
    }

    /**
     * The message a failure shows: a {@link VimException}'s own (it names the input and the problem); for anything
     * else, what happened in words, and the command that was running, since nothing else names the input.
     */
    static String oneLine(Throwable ex, String... args) {
        String m;
        if (ex instanceof VimException && ex.getMessage() != null && !ex.getMessage().isBlank()) {
            m = ex.getMessage();
        } else {
            String running = "while running 'vim4j " + String.join(" ", List.of(args)) + "'";
            m = ex instanceof OutOfMemoryError
                    ? "out of memory " + running + " (the JVM's heap is too small for this input: raise -Xmx, e.g. "
                            + "VIM4J_JAVA_OPTS=-Xmx4g, or use a smaller batch)"
                    : ex instanceof StackOverflowError
                    ? "the input is nested too deeply " + running
                    : "an internal check failed " + running + " (this is a vim4j bug: please report it with the input; "
                            + "-Dvim4j.debug=true shows the details)";
        }
        return clean(m);
    }

    /** Qualified or simple Java exception and error class names, as an internal message might carry them. */
    private static final Pattern JAVA_THROWABLE = Pattern.compile(
            "\\b(?:[a-z_$][\\w$]*\\.)*[A-Z][\\w$]*(?:Exception|Error)\\b(?::\\s*)?");

    /**
     * A message fit for one terminal line: control characters (which a name read from a file may hold, e.g. an
     * escape sequence) shown as '?', Java class names replaced (a safety net: vim4j's messages carry none), and
     * at most {@link #MAX_MESSAGE} characters.
     */
    static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "failed (no details)";
        }
        String m = JAVA_THROWABLE.matcher(message).replaceAll("internal failure: ");
        StringBuilder b = new StringBuilder(Math.min(m.length(), MAX_MESSAGE + 3));
        for (int i = 0; i < m.length() && b.length() < MAX_MESSAGE; i++) {
            char c = m.charAt(i);
            b.append(c == '\n' || c == '\r' || c == '\t' ? ' '
                    : Character.isISOControl(c) || Character.isSurrogate(c) && !validPair(m, i) || isBidiControl(c) ? '?' : c);
        }
        if (b.length() >= MAX_MESSAGE && m.length() > MAX_MESSAGE) {
            b.append("...");
        }
        return b.toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** Characters that reorder a terminal line (e.g. U+202E): a file name could make a message read differently. */
    private static boolean isBidiControl(char c) {
        return (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f';
    }
}
