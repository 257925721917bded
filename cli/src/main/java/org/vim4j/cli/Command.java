package org.vim4j.cli;

import org.vim4j.cli.args.ParsedArgs;

/** One {@code vim4j} command run on a command line parsed against its {@code SPEC} (registered in {@link Main}). */
interface Command {
    /** Runs the command; returns the exit status (0). Failures are thrown: {@link Main} prints them as one line. */
    int run(ParsedArgs args) throws Exception;
}
