package org.vim4j.cli.args;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A command line parsed against its {@link CommandSpec}: the options' values (or their defaults) and the positional
 * parameters, read with typed getters whose errors name the option and the value. A help or version request carries
 * no values.
 */
public final class ParsedArgs {
    /** What a standard option asked for instead of running the command. */
    public enum Request {
        HELP, VERSION
    }

    private final CommandSpec spec;
    private final Map<String, String> values;
    private final List<String> positionals;
    private final Request request;

    ParsedArgs(CommandSpec spec, Map<String, String> values, List<String> positionals, Request request) {
        this.spec = spec;
        this.values = Map.copyOf(values);
        this.positionals = List.copyOf(positionals);
        this.request = request;
    }

    static ParsedArgs standard(CommandSpec spec, Request request) {
        return new ParsedArgs(spec, Map.of(), List.of(), request);
    }

    /** {@code --help} or {@code --version} when one was given, else null: run the command. */
    public Request request() {
        return request;
    }

    /** Whether the flag {@code name} was given. */
    public boolean flag(String name) {
        return values.containsKey(declared(name, true).name());
    }

    /** The value of {@code name}: as given, else its default, else null. */
    public String string(String name) {
        OptionSpec o = declared(name, false);
        String v = values.get(name);
        return v != null ? v : o.defaultValue();
    }

    /** {@link #string} as a path; null when absent. */
    public Path path(String name) {
        String v = string(name);
        return v == null ? null : toPath(v, name + " ");
    }

    /** {@link #string} as an int; null when absent. */
    public Integer integer(String name) {
        String v = string(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " '" + v + "': not a whole number from " + Integer.MIN_VALUE + " to "
                    + Integer.MAX_VALUE);
        }
    }

    /** {@link #string} as a double (NaN and infinities included: the command bounds it); null when absent. */
    public Double decimal(String name) {
        String v = string(name);
        if (v == null) {
            return null;
        }
        try {
            return Double.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " '" + v + "': not a number");
        }
    }

    /** The positional parameters, in order. */
    public List<String> positionals() {
        return positionals;
    }

    /** The positional parameters as paths. */
    public List<Path> positionalPaths() {
        List<Path> out = new ArrayList<>(positionals.size());
        for (String p : positionals) {
            out.add(toPath(p, ""));
        }
        return out;
    }

    private static Path toPath(String s, String what) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new UsageException(what + "'" + s + "' is not a valid path (" + e.getReason() + ")");
        }
    }

    private OptionSpec declared(String name, boolean flag) {
        for (OptionSpec o : spec.options()) {
            if (o.name().equals(name) && o.isFlag() == flag) {
                return o;
            }
        }
        throw new IllegalArgumentException(spec.name() + " declares no " + (flag ? "flag " : "value option ") + name);
    }
}
