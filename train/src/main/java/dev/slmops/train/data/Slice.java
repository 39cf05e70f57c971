package dev.slmops.train.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face datasets' split slice syntax over records in file order: {@code train[:4096]},
 * {@code train[4096:4224]}, {@code train[90%:]}, {@code train[-100:]}. Bounds are clamped to the record count as
 * Python slices are; percentages round to the nearest record.
 */
public record Slice(String split, Bound start, Bound end) {
    /** A slice bound: a record index (negative counts from the end) or a percentage; null: open. */
    public record Bound(long value, boolean percent) {
        int resolve(int n) {
            long i = percent ? Math.round(value * n / 100.0) : value;
            if (i < 0) i += n;
            return (int) Math.max(0, Math.min(n, i));
        }
    }

    private static final Pattern SYNTAX = Pattern.compile("([A-Za-z_][\\w-]*)(?:\\[\\s*(-?\\d+%?)?\\s*:\\s*(-?\\d+%?)?\\s*])?");

    public static Slice parse(String spec) {
        Matcher m = SYNTAX.matcher(spec.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("bad split \"" + spec + "\": expected NAME or NAME[start:end] such as "
                    + "train[:4096], train[4096:4224] or train[90%:]");
        }
        return new Slice(m.group(1), bound(m.group(2), spec), bound(m.group(3), spec));
    }

    private static Bound bound(String s, String spec) {
        if (s == null) return null;
        boolean pct = s.endsWith("%");
        long v = Long.parseLong(pct ? s.substring(0, s.length() - 1) : s);
        if (pct && (v < -100 || v > 100)) throw new IllegalArgumentException("bad split \"" + spec + "\": " + s + " is not a percentage in [-100%, 100%]");
        return new Bound(v, pct);
    }

    /** [from, to) over n records. */
    public int[] range(int n) {
        int from = start == null ? 0 : start.resolve(n);
        int to = end == null ? n : end.resolve(n);
        return new int[] {from, Math.max(from, to)};
    }
}
