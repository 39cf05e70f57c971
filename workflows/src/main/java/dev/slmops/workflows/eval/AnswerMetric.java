package dev.slmops.workflows.eval;

import java.util.Locale;

/** How a generated answer is compared with the reference; both are trimmed of surrounding whitespace first. */
public enum AnswerMetric {
    /** The whole answer equals the reference. */
    EXACT,
    /** The answer starts with the reference (the model may run on after the answer). */
    PREFIX,
    /** The reference appears anywhere in the answer. */
    CONTAINS;

    public boolean matches(String generated, String reference) {
        String g = generated.strip(), r = reference.strip();
        return switch (this) {
            case EXACT -> g.equals(r);
            case PREFIX -> g.startsWith(r);
            case CONTAINS -> g.contains(r);
        };
    }

    public static AnswerMetric parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown metric '" + name + "': use exact, prefix or contains");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
