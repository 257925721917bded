package org.vim4j.cli;

import org.vim4j.cli.args.CommandSpec;
import org.vim4j.cli.args.ParsedArgs;

/** One {@code vim4j} command: what it accepts, and running it on a parsed command line. */
interface Command {
    CommandSpec spec();

    /** Runs the command; returns the exit status (0). Failures are thrown: {@link Main} prints them as one line. */
    int run(ParsedArgs args) throws Exception;
}
