package org.vim4j.cli;

/**
 * One {@code vim4j} command, made from a command line parsed against its {@code SPEC} (both registered in
 * {@link Main}).
 */
interface Command {
    /** Runs the command; returns the exit status (0). Failures are thrown: {@link Main} prints them as one line. */
    int run() throws Exception;
}
