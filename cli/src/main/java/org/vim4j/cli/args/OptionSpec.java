package org.vim4j.cli.args;

/**
 * One {@code --name} option of a command: a flag (present or not) or an option with one value ({@code --name VALUE} or
 * {@code --name=VALUE}), optional or required, with the default its help text shows.
 *
 * @param name         the option, with its dashes ({@code --weights})
 * @param label        what its value is called in help ({@code FILE}); null for a flag
 * @param description  one sentence or two for the help text
 * @param required     whether a command line without it is an error
 * @param defaultValue the value when it is absent, shown in help; null when there is none (the command decides)
 */
public record OptionSpec(String name, String label, String description, boolean required, String defaultValue) {
    public OptionSpec {
        if (!name.startsWith("--") || name.length() < 3) {
            throw new IllegalArgumentException("an option name starts with --: " + name);
        }
        if (label == null && (required || defaultValue != null)) {
            throw new IllegalArgumentException(name + ": a flag is neither required nor defaulted");
        }
    }

    /** A flag: {@code --json}. */
    public static OptionSpec flag(String name, String description) {
        return new OptionSpec(name, null, description, false, null);
    }

    /** An optional value with no default: the command reads it as absent. */
    public static OptionSpec value(String name, String label, String description) {
        return new OptionSpec(name, label, description, false, null);
    }

    /** An optional value with a default. */
    public static OptionSpec value(String name, String label, String description, String defaultValue) {
        return new OptionSpec(name, label, description, false, defaultValue);
    }

    /** A value the command cannot run without. */
    public static OptionSpec required(String name, String label, String description) {
        return new OptionSpec(name, label, description, true, null);
    }

    public boolean isFlag() {
        return label == null;
    }
}
