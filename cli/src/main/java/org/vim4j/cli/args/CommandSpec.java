package org.vim4j.cli.args;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one command accepts: its options, its positional parameters, and the help text made from them; {@link #parse}
 * turns a command line into {@link ParsedArgs} or a {@link UsageException} that names the problem.
 *
 * <p>vim4j's own parser, not a library's: the CLI is a one-shot process whose start-up counts (README "Cold start"),
 * and building the reflective model of the picocli library it used before cost ~200 ms of a 1.1 s cold
 * {@code vim4j infer}. The grammar is the common GNU-style subset the commands need: {@code --name VALUE},
 * {@code --name=VALUE}, flags, {@code --} before positional parameters that start with a dash, and on every command
 * {@code -h}/{@code --help} and {@code -V}/{@code --version}. A value is always the next argument, whatever it looks
 * like ({@code --top -1} is then refused by the command with its own message).
 */
public final class CommandSpec {
    /** A positional parameter: exactly one, or (the last only) one or more. */
    public record Positional(String label, String description, boolean many) {
    }

    private static final int HELP_WIDTH = 100;

    private final String name;
    private final String description;
    private final Map<String, OptionSpec> options = new LinkedHashMap<>();
    private final List<Positional> positionals = new ArrayList<>();

    /**
     * @param name        the command's full name as typed, e.g. {@code "vim4j infer"}
     * @param description what it does, for help
     */
    public CommandSpec(String name, String description) {
        this.name = name;
        this.description = description;
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    /** Adds options (in help order). */
    public CommandSpec with(OptionSpec... more) {
        return with(List.of(more));
    }

    /** Adds a group of options shared by several commands. */
    public CommandSpec with(Collection<OptionSpec> more) {
        for (OptionSpec o : more) {
            if (options.putIfAbsent(o.name(), o) != null || isStandard(o.name())) {
                throw new IllegalArgumentException(name + ": option " + o.name() + " declared twice");
            }
        }
        return this;
    }

    /** Adds a positional parameter; {@code many} (one or more) only for the last. */
    public CommandSpec positional(String label, String description, boolean many) {
        if (!positionals.isEmpty() && positionals.getLast().many()) {
            throw new IllegalArgumentException(name + ": nothing can follow " + positionals.getLast().label() + "...");
        }
        positionals.add(new Positional(label, description, many));
        return this;
    }

    public List<OptionSpec> options() {
        return List.copyOf(options.values());
    }

    private static boolean isStandard(String arg) {
        return arg.equals("-h") || arg.equals("--help") || arg.equals("-V") || arg.equals("--version");
    }

    /**
     * The command line {@code args} (the command's own arguments, without its name).
     *
     * @throws UsageException naming the first problem
     */
    public ParsedArgs parse(List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> free = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (optionsEnded) {
                free.add(a);
            } else if (a.equals("--")) {
                optionsEnded = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                return ParsedArgs.standard(this, ParsedArgs.Request.HELP);
            } else if (a.equals("-V") || a.equals("--version")) {
                return ParsedArgs.standard(this, ParsedArgs.Request.VERSION);
            } else if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String optionName = eq < 0 ? a : a.substring(0, eq);
                OptionSpec o = options.get(optionName);
                if (o == null) {
                    throw new UsageException("unknown option '" + optionName + "'" + suggestion(optionName));
                }
                String value;
                if (o.isFlag()) {
                    if (eq >= 0) {
                        throw new UsageException("option " + o.name() + " takes no value (got '" + a.substring(eq + 1) + "')");
                    }
                    value = "true";
                } else if (eq >= 0) {
                    value = a.substring(eq + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new UsageException("option " + o.name() + " needs a value (" + o.label() + ")");
                }
                if (values.putIfAbsent(o.name(), value) != null) {
                    throw new UsageException("option " + o.name() + " is given more than once");
                }
            } else if (a.length() > 1 && a.startsWith("-") && !looksNumeric(a)) {
                throw new UsageException("unknown option '" + a + "'" + suggestion(a));
            } else {
                free.add(a);
            }
        }
        for (OptionSpec o : options.values()) {
            if (o.required() && !values.containsKey(o.name())) {
                throw new UsageException("missing required option " + o.name() + " " + o.label());
            }
        }
        checkPositionals(free);
        return new ParsedArgs(this, values, free, null);
    }

    private void checkPositionals(List<String> free) {
        int fixed = positionals.size() - (!positionals.isEmpty() && positionals.getLast().many() ? 1 : 0);
        boolean many = fixed < positionals.size();
        if (free.size() < positionals.size()) {
            Positional missing = positionals.get(free.size());
            String what = missing.description().endsWith(".")
                    ? missing.description().substring(0, missing.description().length() - 1) : missing.description();
            throw new UsageException("missing " + missing.label() + " (" + (missing.many() ? "one or more: " : "") + what + ")");
        }
        if (!many && free.size() > fixed) {
            throw new UsageException("unexpected argument '" + free.get(fixed) + "'"
                    + (positionals.isEmpty() ? " (this command takes options only)" : ""));
        }
    }

    private static boolean looksNumeric(String a) {
        return a.length() > 1 && (Character.isDigit(a.charAt(1)) || a.charAt(1) == '.');
    }

    /** " (did you mean --x?)" for a near miss of a known option, else "". */
    private String suggestion(String typed) {
        String best = null;
        int bestDistance = 3;
        for (String known : options.keySet()) {
            int d = distance(typed, known);
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best == null ? "" : " (did you mean " + best + "?)";
    }

    /** Edit distance, capped: the names are short. */
    private static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 3 || a.length() > 64 || b.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The help text: usage line, description, parameters, options (each description wrapped beside its name). */
    public String help() {
        StringBuilder b = new StringBuilder("Usage: ").append(name).append(" [OPTIONS]");
        for (Positional p : positionals) {
            b.append(' ').append(p.label()).append(p.many() ? "..." : "");
        }
        b.append("\n").append(wrap(description, 0)).append("\n");
        List<String[]> rows = new ArrayList<>();
        for (Positional p : positionals) {
            rows.add(new String[] {p.label() + (p.many() ? "..." : ""), p.description()});
        }
        if (!rows.isEmpty()) {
            b.append("\nParameters:\n");
            table(b, rows);
            rows.clear();
        }
        for (OptionSpec o : options.values()) {
            String text = o.description() + (o.required() ? " Required." : "")
                    + (o.defaultValue() != null ? " Default: " + o.defaultValue() + "." : "");
            rows.add(new String[] {o.isFlag() ? o.name() : o.name() + " " + o.label(), text});
        }
        rows.add(new String[] {"-h, --help", "Show this help and exit."});
        rows.add(new String[] {"-V, --version", "Print the version and exit."});
        b.append("\nOptions:\n");
        table(b, rows);
        return b.toString();
    }

    /** Two columns: names padded to the widest (at most 28), descriptions wrapped beside them. */
    public static void table(StringBuilder b, List<String[]> rows) {
        int width = 0;
        for (String[] r : rows) {
            width = Math.max(width, r[0].length());
        }
        width = Math.min(width, 28);
        int indent = width + 4;
        for (String[] r : rows) {
            b.append("  ").append(r[0]);
            if (r[0].length() > width) {
                b.append('\n').append(" ".repeat(indent));
            } else {
                b.append(" ".repeat(width - r[0].length() + 2));
            }
            b.append(wrap(r[1], indent)).append('\n');
        }
    }

    /** {@code text} in lines of at most {@link #HELP_WIDTH} characters, continuation lines indented by {@code indent}. */
    static String wrap(String text, int indent) {
        StringBuilder b = new StringBuilder();
        int column = indent;
        for (String word : text.split(" ")) {
            if (word.isEmpty()) {
                continue;
            }
            if (column > indent && column + 1 + word.length() > HELP_WIDTH) {
                b.append('\n').append(" ".repeat(indent));
                column = indent;
            } else if (column > indent) {
                b.append(' ');
                column++;
            }
            b.append(word);
            column += word.length();
        }
        return b.toString();
    }
}
