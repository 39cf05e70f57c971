package dev.slmops.train.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How validation examples are taken out of the training file ({@code --eval-split}): a fraction ({@code 0.05} or
 * {@code 5%}) held out after a seeded shuffle, as datasets' {@code train_test_split} does, or a slice in the
 * Hugging Face datasets notation ({@code train[4096:4224]}, {@code train[-128:]}, {@code train[:10%]}) kept in file
 * order. The examples not in the validation part are the training part.
 */
public sealed interface ValidationSplit {
    record Fraction(double fraction) implements ValidationSplit {
    }

    /** Half-open [from, to) in examples or, when {@code percent}, in percent of the examples; negatives count from the end. */
    record Slice(Integer from, Integer to, boolean percent) implements ValidationSplit {
        /** [from, to) resolved against n examples (clamped to 0..n). */
        public int[] range(int n) {
            return new int[]{bound(from, 0, n, percent), Math.max(bound(from, 0, n, percent), bound(to, n, n, percent))};
        }

        /** The examples of the slice, in file order. */
        public <T> List<T> select(List<T> all) {
            int[] r = range(all.size());
            return all.subList(r[0], r[1]);
        }
    }

    /** A slice of the training file for {@code --train-split} ({@code train[:4096]}); a fraction is refused. */
    static Slice parseSlice(String text, String flag) {
        if (!(parse(text) instanceof Slice s)) {
            throw new IllegalArgumentException(flag + " '" + text + "' must be a slice such as train[:4096] or train[:90%]");
        }
        return s;
    }

    /** The two parts of a list. */
    record Parts<T>(List<T> train, List<T> validation) {
    }

    Pattern SLICE = Pattern.compile("train\\[(-?\\d*)(%?):(-?\\d*)(%?)]");

    static ValidationSplit parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SLICE.matcher(t);
        if (m.matches()) {
            boolean pct = !m.group(2).isEmpty() || !m.group(4).isEmpty();
            if (pct && ((!m.group(1).isEmpty() && m.group(2).isEmpty()) || (!m.group(3).isEmpty() && m.group(4).isEmpty()))) {
                throw new IllegalArgumentException("--eval-split " + text + ": use % on both ends of the slice or on neither");
            }
            return new Slice(m.group(1).isEmpty() ? null : Integer.parseInt(m.group(1)),
                    m.group(3).isEmpty() ? null : Integer.parseInt(m.group(3)), pct);
        }
        try {
            double f = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 100 : Double.parseDouble(t);
            if (!(f > 0 && f < 1)) throw new IllegalArgumentException("--eval-split fraction must be in (0, 1), got " + text);
            return new Fraction(f);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--eval-split '" + text + "' is neither a fraction (0.05, 5%) nor a slice "
                    + "(train[4096:4224], train[-100:], train[:10%])");
        }
    }

    default <T> Parts<T> apply(List<T> all, long seed) {
        int n = all.size();
        boolean[] inValidation = new boolean[n];
        switch (this) {
            case Fraction f -> {
                int count = (int) Math.ceil(f.fraction() * n);
                int[] order = DataOrder.permutation(seed, -1, n);
                for (int i = 0; i < count; i++) inValidation[order[i]] = true;
            }
            case Slice s -> {
                int[] r = s.range(n);
                for (int i = r[0]; i < r[1]; i++) inValidation[i] = true;
            }
        }
        List<T> train = new ArrayList<>(), validation = new ArrayList<>();
        for (int i = 0; i < n; i++) (inValidation[i] ? validation : train).add(all.get(i));
        if (validation.isEmpty()) throw new IllegalArgumentException("--eval-split " + this + " selects no example of " + n);
        if (train.isEmpty()) throw new IllegalArgumentException("--eval-split " + this + " leaves no training example of " + n);
        return new Parts<>(train, validation);
    }

    private static int bound(Integer v, int dflt, int n, boolean percent) {
        if (v == null) return dflt;
        long x = percent ? Math.round(v / 100.0 * n) : v;
        if (x < 0) x += n;
        return (int) Math.max(0, Math.min(n, x));
    }
}
