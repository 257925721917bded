package org.vim4j.io.pickle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An inert stand-in for an instance of an allow-listed Python class (argparse.Namespace,
 * torch.device, numpy scalars, ...). It records the class name, the constructor arguments and the
 * BUILD state, and never runs anything. Attributes set through a dict state are kept so callers can
 * read e.g. {@code args.input_size}.
 */
public final class PickleObject {
    private final String className;
    private final PickleTuple args;
    private final Map<String, Object> attributes = new LinkedHashMap<>();
    private Object state;

    PickleObject(String className, PickleTuple args) {
        this.className = className;
        this.args = args;
    }

    public String className() {
        return className;
    }

    PickleTuple args() {
        return args;
    }

    /** The last BUILD state, whatever its shape. */
    Object state() {
        return state;
    }

    /** Attributes from dict-shaped BUILD states (string keys only, as Python's __dict__); read-only. */
    public Map<String, Object> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    /**
     * BUILD: a dict updates the attributes; a (dict, slots) pair updates both; anything else is kept as-is. Every
     * entry copied is charged to {@code budget} (a memoised dict BUILT into objects again and again costs its
     * size each time).
     */
    void build(Object newState, PickleBudget budget) {
        state = newState;
        if (newState instanceof Map<?, ?> m) {
            addAttributes(m, budget);
        } else if (newState instanceof PickleTuple t && t.size() == 2) {
            if (t.get(0) instanceof Map<?, ?> m) {
                addAttributes(m, budget);
            }
            if (t.get(1) instanceof Map<?, ?> m) {
                addAttributes(m, budget);
            }
        }
    }

    private void addAttributes(Map<?, ?> m, PickleBudget budget) {
        budget.work(m.size());
        budget.items((long) attributes.size() + m.size(), "an object's attributes");
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (e.getKey() instanceof String k) {
                // A hash lookup that may meet colliding strings: a tree bin's comparisons, each over the key.
                budget.work((1 + k.length() / 32L) * (1 + 64 - Long.numberOfLeadingZeros(attributes.size())));
                if (!attributes.containsKey(k)) {
                    budget.memory(PickleValues.DICT_ENTRY_BYTES, "an attribute");
                }
                attributes.put(k, e.getValue());
            }
        }
    }

    @Override
    public String toString() {
        return "<" + className + " placeholder>";
    }
}
