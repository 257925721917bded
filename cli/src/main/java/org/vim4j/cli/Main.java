package org.vim4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import org.vim4j.VimException;

/** The {@code vim4j} command line. Errors are one line on stderr and a non-zero exit, never a stack trace. */
@Command(name = "vim4j", mixinStandardHelpOptions = true, version = "vim4j 0.1.0",
        description = "Vision Mamba (Vim) inference on the JVM.",
        subcommands = {ClassifyCommand.class, FeaturesCommand.class, EvalCommand.class, InferCommand.class,
                InfoCommand.class, ConvertCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("vim4j " + cmd.getCommandName() + ": error: " + oneLine(ex));
            if (Boolean.getBoolean("vim4j.debug")) {
                ex.printStackTrace(cmd.getErr());
            }
            return ex instanceof VimException || ex instanceof IllegalArgumentException ? 2 : 1;
        });
        return cli.execute(args);
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        } else if (!(ex instanceof VimException)) {
            m = ex.getClass().getSimpleName() + ": " + m;
        }
        return m.replace('\n', ' ');
    }
}
