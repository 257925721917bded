package org.vim4j.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the runnable benchmarks jar:
 * {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/vim4j-benchmarks.jar <command>}.
 * {@code benchmarks/run.sh} runs the whole suite and regenerates RESULTS.md.
 */
@Command(name = "vim4j-benchmarks", mixinStandardHelpOptions = true,
        subcommands = {E2eCommand.class, SweepCommand.class, ChartCommand.class, PeakCommand.class, KernelsCommand.class},
        description = "vim4j benchmarks: end-to-end harness, Vim-vs-DeiT sweep, kernel suite (JMH), peak probe.")
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // A VimException (bad option, unavailable backend or precision) is the user's answer: its message, not a trace.
        System.exit(new CommandLine(new BenchMain()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (!(e instanceof org.vim4j.VimException)) {
                throw e;
            }
            cmd.getErr().println("vim4j-benchmarks: " + e.getMessage());
            return 2;
        }).execute(args));
    }
}
