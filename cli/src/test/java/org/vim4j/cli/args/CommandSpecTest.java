package org.vim4j.cli.args;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The CLI's argument grammar, its error messages, and its help text. */
class CommandSpecTest {
    static CommandSpec spec() {
        return new CommandSpec("vim4j demo", "A command to test the parser with.")
                .positional("IMAGE", "Image files.", true)
                .with(OptionSpec.required("--weights", "FILE", "Checkpoint."),
                        OptionSpec.value("--top", "K", "How many."),
                        OptionSpec.value("--kind", "KIND", "cls | tokens.", "cls"),
                        OptionSpec.value("--warmup", "SECONDS", "Warm-up."),
                        OptionSpec.flag("--json", "JSON output."));
    }

    static String error(CommandSpec spec, String... args) {
        return assertThrows(UsageException.class, () -> spec.parse(List.of(args))).getMessage();
    }

    @Test
    void valuesFlagsDefaultsAndPositionals() {
        ParsedArgs a = spec().parse(List.of("a.png", "--weights", "w.pth", "--top=3", "--json", "b.png"));
        assertNull(a.request());
        assertEquals(Path.of("w.pth"), a.path("--weights"));
        assertEquals(3, a.integer("--top"));
        assertEquals("cls", a.string("--kind"), "the default");
        assertNull(a.decimal("--warmup"), "absent, no default");
        assertTrue(a.flag("--json"));
        assertEquals(List.of(Path.of("a.png"), Path.of("b.png")), a.positionalPaths());
        assertFalse(spec().parse(List.of("--weights", "w", "x")).flag("--json"));
    }

    @Test
    void aValueIsTheNextArgumentWhateverItLooksLike() {
        ParsedArgs a = spec().parse(List.of("--weights", "--json", "--top", "-1", "--kind=", "x"));
        assertEquals("--json", a.string("--weights"));
        assertFalse(a.flag("--json"));
        assertEquals(-1, a.integer("--top"), "the command bounds it, with its own message");
        assertEquals("", a.string("--kind"), "an empty value is a value");
    }

    @Test
    void doubleDashEndsTheOptions() {
        ParsedArgs a = spec().parse(List.of("--weights", "w", "--", "--json", "-x.png"));
        assertEquals(List.of("--json", "-x.png"), a.positionals());
        assertFalse(a.flag("--json"));
        assertEquals(List.of("-5"), spec().parse(List.of("--weights", "w", "-5")).positionals(), "a negative number");
    }

    @Test
    void helpAndVersionWinAnywhereBeforeDoubleDash() {
        for (String h : List.of("-h", "--help")) {
            assertEquals(ParsedArgs.Request.HELP, spec().parse(List.of("--top", "x", h)).request(), "no checks first");
        }
        assertEquals(ParsedArgs.Request.VERSION, spec().parse(List.of("-V")).request());
        assertEquals(ParsedArgs.Request.VERSION, spec().parse(List.of("--version", "--bogus")).request());
        assertEquals(List.of("--help"), spec().parse(List.of("--weights", "w", "--", "--help")).positionals());
    }

    @Test
    void errorsNameTheArgumentAndTheProblem() {
        CommandSpec s = spec();
        assertEquals("unknown option '--wieghts' (did you mean --weights?)", error(s, "--wieghts", "w", "x"));
        assertEquals("unknown option '--frobnicate'", error(s, "--frobnicate"));
        assertEquals("unknown option '-x'", error(s, "-x"));
        assertEquals("option --top needs a value (K)", error(s, "x", "--weights", "w", "--top"));
        assertEquals("option --json takes no value (got 'yes')", error(s, "--json=yes"));
        assertEquals("option --top is given more than once", error(s, "--top", "1", "--top=2"));
        assertEquals("missing required option --weights FILE", error(s, "x.png"));
        assertEquals("missing IMAGE (one or more: Image files)", error(s, "--weights", "w"));
        CommandSpec two = new CommandSpec("vim4j two", "Two files.").positional("IN", "Input.", false)
                .positional("OUT", "Output.", false);
        assertEquals("missing OUT (Output)", error(two, "a"));
        assertEquals("unexpected argument 'c'", error(two, "a", "b", "c"));
        assertEquals("unexpected argument 'a' (this command takes options only)",
                error(new CommandSpec("vim4j none", "Nothing."), "a"));
    }

    @Test
    void typedValuesFailWithTheOptionAndTheValue() {
        ParsedArgs a = spec().parse(List.of("--weights", "bad\0path", "--top", "abc", "--warmup", "1e", "x"));
        assertTrue(assertThrows(UsageException.class, () -> a.path("--weights")).getMessage()
                .startsWith("--weights 'bad\0path' is not a valid path ("));
        assertEquals("--top 'abc': not a whole number from -2147483648 to 2147483647",
                assertThrows(UsageException.class, () -> a.integer("--top")).getMessage());
        assertEquals("--warmup '1e': not a number", assertThrows(UsageException.class, () -> a.decimal("--warmup")).getMessage());
        assertEquals(Double.NaN, spec().parse(List.of("--weights", "w", "--warmup", "NaN", "x")).decimal("--warmup"),
                "parsed; the command bounds it");
        assertThrows(UsageException.class, () -> spec().parse(List.of("--weights", "w", "--top", "99999999999", "x"))
                .integer("--top"));
        assertThrows(IllegalArgumentException.class, () -> a.string("--undeclared"), "a programming error, not usage");
    }

    @Test
    void declarationsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> spec().with(OptionSpec.flag("--json", "again")));
        assertThrows(IllegalArgumentException.class, () -> spec().positional("MORE", "after IMAGE...", false));
        assertThrows(IllegalArgumentException.class, () -> OptionSpec.flag("-j", "short names are the standard ones"));
        assertThrows(IllegalArgumentException.class, () -> new OptionSpec("--x", null, "flag", true, null));
    }

    @Test
    void helpListsEveryParameterAndOptionWithinTheWidth() {
        String help = spec().help();
        assertTrue(help.startsWith("Usage: vim4j demo [OPTIONS] IMAGE...\nA command to test the parser with.\n"), help);
        for (String s : List.of("IMAGE...", "--weights FILE", "Checkpoint. Required.", "--kind KIND", "Default: cls.",
                "--json", "-h, --help", "-V, --version")) {
            assertTrue(help.contains(s), s + " in\n" + help);
        }
        String longText = "word ".repeat(60).strip();
        String wrapped = new CommandSpec("vim4j long", longText).with(OptionSpec.flag("--x", longText)).help();
        assertTrue(wrapped.lines().allMatch(l -> l.length() <= 100), wrapped);
        assertEquals(60 * 2, wrapped.split("word", -1).length - 1, "no word lost in wrapping");
    }

    /** Any argument list either parses or fails with a UsageException: never another exception. */
    @Test
    void randomCommandLinesOnlyEverFailAsUsage() {
        String[] pieces = {"--weights", "--top", "--kind", "--json", "--warmup", "--", "-h", "-", "-1", "x.png", "=",
                "--top=", "--json=", "--weights=w", "--w", "", "--kind=tokens", "\0", "--help=x"};
        SplittableRandom rnd = new SplittableRandom(11);
        for (int round = 0; round < 20_000; round++) {
            List<String> args = new ArrayList<>();
            for (int i = rnd.nextInt(7); i > 0; i--) {
                args.add(pieces[rnd.nextInt(pieces.length)]);
            }
            try {
                ParsedArgs a = spec().parse(args);
                if (a.request() == null) {
                    a.path("--weights");
                    a.positionalPaths();
                }
            } catch (UsageException e) {
                assertFalse(e.getMessage().isBlank(), args.toString());
            }
        }
    }
}
