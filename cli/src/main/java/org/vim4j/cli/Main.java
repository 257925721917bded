package org.vim4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.vim4j.VimException;
import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.ParsedArgs;
import org.vim4j.cli.args.UsageException;

/**
 * The {@code vim4j} command line. Every failure is one line on stderr, {@code vim4j <command>: error: <what>},
 * naming the input and the problem, and exit status 2: bad arguments, bad files, and also anything unexpected (an
 * internal exception is reported as such, never as a Java class name or a stack trace; {@code -Dvim4j.debug=true}
 * prints the trace for a bug report).
 */
public final class Main {
    /** Exit status of every failure. */
    static final int FAILED = 2;
    /** Longest error line printed (a message may quote names read from a hostile file). */
    static final int MAX_MESSAGE = 1000;
    static final String VERSION = "vim4j 0.1.0";

    /** A command: what it accepts, and how to make one from a command line it accepted. */
    private record Entry(CommandSpec spec, Function<ParsedArgs, Command> make) {
    }

    /** The commands in help order. */
    private static final Map<String, Entry> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("classify", new Entry(ClassifyCommand.SPEC, ClassifyCommand::new));
        COMMANDS.put("features", new Entry(FeaturesCommand.SPEC, FeaturesCommand::new));
        COMMANDS.put("eval", new Entry(EvalCommand.SPEC, EvalCommand::new));
        COMMANDS.put("infer", new Entry(InferCommand.SPEC, InferCommand::new));
        COMMANDS.put("info", new Entry(InfoCommand.SPEC, InfoCommand::new));
        COMMANDS.put("convert", new Entry(ConvertCommand.SPEC, ConvertCommand::new));
        COMMANDS.put("bench", new Entry(BenchCommand.SPEC, BenchCommand::new));
    }

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        try {
            OneLineLog.install();
            return dispatch(args);
        } catch (Throwable t) { // a failure outside any command (the log handler, printing help)
            System.err.println("vim4j: error: " + oneLine(t, args));
            debug(t);
            return FAILED;
        }
    }

    private static int dispatch(String[] args) {
        if (args.length == 0) {
            System.err.println("vim4j: error: no command given (see 'vim4j --help')");
            return FAILED;
        }
        String first = args[0];
        switch (first) {
            case "-h", "--help" -> {
                System.out.print(overview());
                return 0;
            }
            case "-V", "--version" -> {
                System.out.println(VERSION);
                return 0;
            }
            case "help" -> {
                return help(args);
            }
            default -> {
            }
        }
        Entry found = COMMANDS.get(first);
        if (found == null) {
            System.err.println("vim4j: error: " + clean((first.startsWith("-") ? "unknown option '" : "unknown command '")
                    + first + "'") + " (see 'vim4j --help')");
            return FAILED;
        }
        CommandSpec spec = found.spec();
        try {
            ParsedArgs parsed = spec.parse(List.of(args).subList(1, args.length));
            if (parsed.request() == ParsedArgs.Request.HELP) {
                System.out.print(spec.help());
                return 0;
            } else if (parsed.request() == ParsedArgs.Request.VERSION) {
                System.out.println(VERSION);
                return 0;
            }
            return found.make().apply(parsed).run();
        } catch (UsageException e) { // a malformed command line, found while parsing or while reading a value
            System.err.println(spec.name() + ": error: " + clean(e.getMessage()) + " (see '" + spec.name() + " --help')");
            return FAILED;
        } catch (Exception | Error e) {
            System.err.println(spec.name() + ": error: " + oneLine(e, args));
            debug(e);
            return FAILED;
        }
    }

    /** {@code vim4j help [COMMAND]}. */
    private static int help(String[] args) {
        if (args.length == 1) {
            System.out.print(overview());
            return 0;
        }
        Entry found = args.length == 2 ? COMMANDS.get(args[1]) : null;
        if (found == null) {
            System.err.println("vim4j help: error: " + clean(args.length == 2 ? "unknown command '" + args[1] + "'"
                    : "expected one command name") + " (see 'vim4j --help')");
            return FAILED;
        }
        System.out.print(found.spec().help());
        return 0;
    }

    /** {@code vim4j --help}: usage, the standard options, and each command with its description. */
    static String overview() {
        StringBuilder b = new StringBuilder("Usage: vim4j [-h | -V] COMMAND [OPTIONS]\n")
                .append("Vision Mamba (Vim) inference on the JVM.\n\nOptions:\n");
        CommandSpec.table(b, List.of(new String[] {"-h, --help", "Show this help and exit."},
                new String[] {"-V, --version", "Print the version and exit."}));
        b.append("\nCommands:\n");
        List<String[]> rows = new java.util.ArrayList<>();
        for (var e : COMMANDS.entrySet()) {
            rows.add(new String[] {e.getKey(), e.getValue().spec().description()});
        }
        rows.add(new String[] {"help", "Show the help of a command: vim4j help COMMAND."});
        CommandSpec.table(b, rows);
        return b.toString();
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
