package org.vim4j;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The lower-case names of the API's option enums ({@link Precision}, {@link WarmUp}) in properties and on command lines. */
final class EnumLabels {
    private EnumLabels() {
    }

    static String label(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** The value labelled {@code s} (any case, trimmed); else an error naming {@code what} and every label. */
    static <E extends Enum<E>> E parse(E[] values, String s, String what) {
        if (s != null) {
            for (E e : values) {
                if (label(e).equalsIgnoreCase(s.trim())) {
                    return e;
                }
            }
        }
        List<String> labels = Arrays.stream(values).map(EnumLabels::label).toList();
        String expected = String.join(", ", labels.subList(0, labels.size() - 1)) + " or " + labels.getLast();
        throw new VimException(what + " '" + s + "': expected " + expected);
    }
}
